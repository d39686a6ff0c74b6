#!/usr/bin/env bash
# `make run` stops cleanly (issue 12): started as an operator, a service manager or a CI runner
# would, then stopped with SIGINT or SIGTERM to its whole process group, several times; each time
# nothing it started may be left running (the parts' process groups, their pid files, the ports).
# Uses `make serve` (make run without setup and build), so it needs a build.
set -uo pipefail
cd "$(dirname "$0")/.."
set -m   # jobs get their own process group, and SIGINT is not ignored in them
export HUIFANG_EDGE_PORT=${STOP_TEST_EDGE_PORT:-8797} HUIFANG_ORIGIN_PORT=${STOP_TEST_ORIGIN_PORT:-8798}
export HUIFANG_STATE_DIR=.state/stop-test
ROUNDS=${STOP_TEST_ROUNDS:-2}
mkdir -p "$HUIFANG_STATE_DIR"
failures=0 checks=0

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { kill -0 -- "-$1" 2>/dev/null; }

one_round() { # signal
  local sig=$1 log="$HUIFANG_STATE_DIR/make-$$-$1-$2.log" job i stack groups=() part
  rm -f "$log"
  make -s serve >"$log" 2>&1 &
  job=$!
  for ((i = 0; i < 450; i++)); do
    grep -qs '^State and logs: ' "$log" && break
    kill -0 "$job" 2>/dev/null || break
    sleep 0.2
  done
  stack=$(sed -n 's/^State and logs: //p' "$log")
  if [ -z "$stack" ]; then
    echo "FAIL [$sig] make serve did not start; its log:"; tail -n 20 "$log"
    kill -KILL -- "-$job" 2>/dev/null
    return 1
  fi
  for part in origin edge; do groups+=("$(cat "$stack/$part.pid")"); done
  kill "-$sig" -- "-$job"
  for ((i = 0; i < 150; i++)); do kill -0 "$job" 2>/dev/null || break; sleep 0.2; done
  local ok=1
  if kill -0 "$job" 2>/dev/null; then echo "FAIL [$sig] make serve still runs 30 s after the signal"; ok=0; fi
  sleep 0.5
  for g in "${groups[@]}"; do
    checks=$((checks + 1))
    if alive "$g"; then echo "FAIL [$sig] process group $g ($(ps -o comm= -g "$g" | sort -u | tr '\n' ' ')) left running"; ok=0; fi
  done
  for part in origin edge; do
    checks=$((checks + 1))
    [ ! -e "$stack/$part.pid" ] || { echo "FAIL [$sig] $part.pid left in $stack"; ok=0; }
  done
  for p in "$HUIFANG_EDGE_PORT" "$HUIFANG_ORIGIN_PORT"; do
    checks=$((checks + 1))
    port_free "$p" || { echo "FAIL [$sig] port $p still held"; ok=0; }
  done
  # Whatever a failed round left must not spoil the next one.
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
  kill -KILL -- "-$job" 2>/dev/null
  for ((i = 0; i < 50; i++)); do port_free "$HUIFANG_EDGE_PORT" && port_free "$HUIFANG_ORIGIN_PORT" && break; sleep 0.2; done
  [ $ok -eq 1 ] && echo "ok [$sig] round $2: stopped, nothing left ($stack)"
  [ $ok -eq 1 ]
}

for p in "$HUIFANG_EDGE_PORT" "$HUIFANG_ORIGIN_PORT"; do
  port_free "$p" || { echo "port $p is in use; set STOP_TEST_EDGE_PORT/STOP_TEST_ORIGIN_PORT" >&2; exit 1; }
done
rounds=0
for ((r = 1; r <= ROUNDS; r++)); do
  for sig in ${STOP_TEST_SIGNALS:-INT TERM}; do
    rounds=$((rounds + 1))
    one_round "$sig" "$r" || failures=$((failures + 1))
  done
done
echo "run-stop-test: $rounds rounds, $checks checks, $failures failed rounds"
[ $failures -eq 0 ] && [ $checks -eq $((rounds * 6)) ]
