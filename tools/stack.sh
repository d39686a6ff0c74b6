# Starts and stops the local stack: the origin and the edge (workerd under `wrangler dev`).
# Sourced by run.sh and test.sh. Configuration (environment variables):
#   HUIFANG_EDGE_PORT    edge port            (default 8787)
#   HUIFANG_ORIGIN_PORT  origin port          (default 8788)
#   HUIFANG_STATE_DIR    where runs keep state (default .state); each start uses a fresh folder in it
#   HUIFANG_ORIGIN_BIN   the origin binary    (default target/debug/huifang-origin; `make bench` uses release)
export PATH="$HOME/.cargo/bin:$PATH"
HUIFANG_EDGE_PORT=${HUIFANG_EDGE_PORT:-8787}
HUIFANG_ORIGIN_PORT=${HUIFANG_ORIGIN_PORT:-8788}
HUIFANG_STATE_DIR=${HUIFANG_STATE_DIR:-.state}
HUIFANG_ORIGIN_BIN=${HUIFANG_ORIGIN_BIN:-target/debug/huifang-origin}
EDGE_URL="http://127.0.0.1:$HUIFANG_EDGE_PORT"
ORIGIN_URL="http://127.0.0.1:$HUIFANG_ORIGIN_PORT"
export EDGE_URL ORIGIN_URL
STACK_PGIDS=()

wait_for() { # url, seconds, name, log
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.2
  done
  echo "[stack] $3 did not come up at $1; its log ($4):" >&2
  tail -n 40 "$4" >&2
  return 1
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_stack() {
  for p in "$HUIFANG_EDGE_PORT" "$HUIFANG_ORIGIN_PORT"; do
    port_free "$p" || { echo "[stack] port $p is in use; set HUIFANG_EDGE_PORT/HUIFANG_ORIGIN_PORT" >&2; return 1; }
  done
  STACK_DIR="$HUIFANG_STATE_DIR/run-$(date +%Y%m%d-%H%M%S)-$$"
  mkdir -p "$STACK_DIR"
  export STACK_DIR
  local keys
  keys=$("$HUIFANG_ORIGIN_BIN" public-key .dev.vars)
  setsid "$HUIFANG_ORIGIN_BIN" serve --listen "127.0.0.1:$HUIFANG_ORIGIN_PORT" \
    --db "$STACK_DIR/origin.sqlite3" --edge-keys "$keys" --sms-outbox \
    >"$STACK_DIR/origin.log" 2>&1 </dev/null &
  STACK_PGIDS+=($!)
  CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false \
    setsid node_modules/.bin/wrangler dev --port "$HUIFANG_EDGE_PORT" --ip 127.0.0.1 \
    --persist-to "$STACK_DIR/edge" --var "ORIGIN_URL:$ORIGIN_URL" ${WRANGLER_DEV_ARGS:-} \
    >"$STACK_DIR/edge.log" 2>&1 </dev/null &
  STACK_PGIDS+=($!)
  wait_for "$ORIGIN_URL/healthz" 30 origin "$STACK_DIR/origin.log" &&
    wait_for "$EDGE_URL/" 60 edge "$STACK_DIR/edge.log"
}

# Stops exactly the process groups start_stack made, and nothing else.
stop_stack() {
  local g
  for g in "${STACK_PGIDS[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for g in "${STACK_PGIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$g" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$g" 2>/dev/null || true
  done
  STACK_PGIDS=()
}
