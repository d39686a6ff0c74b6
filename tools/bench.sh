#!/usr/bin/env bash
# `make bench` (not part of `make test`): release builds, the real stack on loopback, and one table of
# six rows: first-load bytes, first paint and first actionable control in a throttled phone browser,
# the edge's per-step latency and throughput against a bare Durable Object read (under wrangler dev,
# then again on the self-hosted workerd edge, as ratios), the origin's
# verify-and-store rate and verify-archive time, the worker bundle against the Workers limits.
# Writes bench/results/latest.json (and a dated copy) and latest.md, and prints the table.
# Bounded: every load is limited in count and time (about 10 minutes in all on two cores).
#
#   HUIFANG_BENCH_EDGE_PORT / HUIFANG_BENCH_ORIGIN_PORT   default 8797 / 8798 (not the tests' ports)
#   HUIFANG_BENCH_PG_PORT        the bench's PostgreSQL (row 4p)              (default 25442)
#   BENCH_LOADS                  browser loads of each page            (default 12, at least 10)
#   BENCH_SEQUENTIAL_REVISITS    revisits whose steps are timed one request at a time (default 100)
#   BENCH_SEQUENTIAL_LANES       how many of them read at once (a lock keeps one request in flight;
#                                default 8, so the 100 take about 100 s, not 12 minutes)
#   BENCH_LOAD_USERS             row 3's capacity stages: users of a closed loop of whole revisits
#                                with the real reading waits (default 100,200,400,800; it stops at
#                                the first stage that adds under 10% or fails)
#   BENCH_LOAD_SECONDS           each stage's measured seconds, after its ramp (default 20)
#   BENCH_LOAD_MAX_REVISITS      a cap on the revisits the load starts (default 20000)
#   BENCH_CEILING_SECONDS, BENCH_CEILING_CONNECTIONS  each autocannon ceiling run (default 10 s, 20)
#   BENCH_INGEST_RECORDS, BENCH_ARCHIVE_RECORDS  origin               (default 5,000 and 100,000)
#   BENCH_MILLION_RECORDS        row 4m's archive (default 1,000,000; 0 leaves the row out); built once
#                                and cached under $HUIFANG_STATE_DIR/archive-cache, keyed by its shape
#   BENCH_SKIP_OPT3=1            skip the origin's opt-level 3 comparison build
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export HUIFANG_EDGE_PORT=${HUIFANG_BENCH_EDGE_PORT:-8797}
export HUIFANG_ORIGIN_PORT=${HUIFANG_BENCH_ORIGIN_PORT:-8798}
export HUIFANG_STATE_DIR=${HUIFANG_BENCH_STATE_DIR:-.state/bench}
export HUIFANG_ORIGIN_BIN=target/release/huifang-origin
export WRANGLER_DEV_ARGS="--var BENCH_PROBE:1"
say() { printf '[bench] %s\n' "$*"; }

say "building the origin (release, with bench-ingest)"
cargo build -q --release -p origin --features bench
opt3=""
if [ "${BENCH_SKIP_OPT3:-0}" != 1 ]; then
  # The same origin at opt-level 3, in its own target folder, to show what the size-first release
  # profile costs a native server. Not shipped anywhere.
  say "building the origin again at opt-level 3 (comparison only)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=3 cargo build -q --release -p origin --features bench \
    --target-dir target/bench-opt3
  opt3=target/bench-opt3/release/huifang-origin
fi

source tools/stack.sh
stop_stack_on_exit
mkdir -p "$HUIFANG_STATE_DIR"
parts=$(mktemp -d "$HUIFANG_STATE_DIR/parts-XXXXXX")
# Other work on the machine skews every figure: note how busy it was at the start.
load=$(cut -d' ' -f1 /proc/loadavg)
printf '{"load_average_1m": %s}\n' "$load" >"$parts/start.json"
awk -v l="$load" 'BEGIN { exit !(l > 0.5) }' && say "warning: the machine is busy (1-minute load $load); figures will be skewed"

failed=()
step() { # name, command...: runs it; a failure is reported at the end, and the table still printed
  local name=$1; shift
  say "$name"
  "$@" || { failed+=("$name"); say "FAILED: $name"; }
}

say "starting the stack on 127.0.0.1:$HUIFANG_EDGE_PORT (edge) and :$HUIFANG_ORIGIN_PORT (origin)"
start_stack
step "rows 1 and 5: sizes" node tools/bench/sizes.mjs --out "$parts" --edge "$EDGE_URL"
step "row 2: browser (throttled phone profile)" node tools/bench/browser.mjs --out "$parts"
# Each part of the stack is a process group whose id stack.sh records; edge.mjs reads their CPU time.
BENCH_ORIGIN_PGID=$(cat "$STACK_DIR/origin.pid") BENCH_EDGE_PGID=$(cat "$STACK_DIR/edge.pid") \
  step "row 3: edge (wrangler dev)" node tools/bench/edge.mjs --out "$parts"
stop_stack
# The same row on the self-hosted edge (issue 18): plain `workerd serve`, same ports, fresh state.
HUIFANG_EDGE_RUNTIME=workerd start_stack
BENCH_ORIGIN_PGID=$(cat "$STACK_DIR/origin.pid") BENCH_EDGE_PGID=$(cat "$STACK_DIR/edge.pid") \
  step "row 3: edge (self-hosted workerd)" node tools/bench/edge.mjs --out "$parts" --runtime workerd
stop_stack

# Row 4p (issue 17): the origin on PostgreSQL, a throwaway cluster of its own under the bench's state.
export HUIFANG_PG_PORT=${HUIFANG_BENCH_PG_PORT:-25442}
pg=""
if tools/pg.sh start >/dev/null; then pg=1; else say "PostgreSQL did not start: row 4p left out"; failed+=("row 4p: PostgreSQL"); fi
step "row 4: origin" node tools/bench/origin.mjs --out "$parts" --work "$parts/origin" \
  --bin "$HUIFANG_ORIGIN_BIN" ${opt3:+--bin-opt3 "$opt3"} ${pg:+--pg 1} \
  --cache "$HUIFANG_STATE_DIR/archive-cache"
[ -z "$pg" ] || tools/pg.sh stop
rm -rf "$parts/origin"
node tools/bench/report.mjs --parts "$parts" --results bench/results
say "stack logs: $STACK_DIR; parts: $parts"
if [ ${#failed[@]} -gt 0 ]; then
  printf '[bench] failed: %s\n' "${failed[@]}"
  exit 1
fi
