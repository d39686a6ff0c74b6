# The two commands: `make run` (set up, build, start, print a demo link) and `make test`.
.PHONY: run serve test setup build clean bench

run: setup build
	@tools/run.sh

# `make run` without the setup and the build (what is built already): the stop test uses it.
serve:
	@tools/run.sh

test:
	@tools/test.sh

setup:
	@tools/setup.sh

build:
	@tools/build.sh

# Benchmarks (not part of `make test`): release builds, the real stack, one table (bench/results/).
bench: setup build
	@tools/bench.sh

clean:
	rm -rf app/dist edge/build .state
