# Starts and stops the local stack: the origin and the edge (workerd under `wrangler dev`, or plain
# `workerd serve` of the generated configuration). Sourced by run.sh, test.sh and bench.sh.
# Configuration (environment variables):
#   HUIFANG_EDGE_PORT    edge port            (default 8787)
#   HUIFANG_ORIGIN_PORT  origin port          (default 8788)
#   HUIFANG_STATE_DIR    where runs keep state (default .state); each start uses a fresh folder in it
#   WRANGLER_DEV_ARGS    extra arguments for `wrangler dev` (e.g. --var NAME:VALUE)
#   HUIFANG_EDGE_RUNTIME wrangler (default) or workerd: the self-hosted edge (tools/workerd-edge.sh,
#                        which takes WRANGLER_DEV_ARGS' --var and --inspector-port too)
#   HUIFANG_ORIGIN_BIN   the origin binary    (default target/debug/huifang-origin; `make bench` uses release)
#   HUIFANG_ORIGIN_DB    the origin's --db    (default: a fresh $STACK_DIR/origin.sqlite3; e.g. a
#                        postgres://… URL from `tools/pg.sh schema NAME` for a run on PostgreSQL)
# Each part runs in its own process group, started by $STACK_DIR/<part>.sh and recorded in
# $STACK_DIR/<part>.pid, so that tools/stack-ctl.sh can stop and restart one part (the delivery
# tests take the origin down and restart the edge) and stop_stack stops exactly what was started.
export PATH="$HOME/.cargo/bin:$PATH"
HUIFANG_EDGE_PORT=${HUIFANG_EDGE_PORT:-8787}
HUIFANG_ORIGIN_PORT=${HUIFANG_ORIGIN_PORT:-8788}
HUIFANG_STATE_DIR=${HUIFANG_STATE_DIR:-.state}
HUIFANG_ORIGIN_BIN=${HUIFANG_ORIGIN_BIN:-target/debug/huifang-origin}
EDGE_URL="http://127.0.0.1:$HUIFANG_EDGE_PORT"
ORIGIN_URL="http://127.0.0.1:$HUIFANG_ORIGIN_PORT"
export EDGE_URL ORIGIN_URL

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

# Starts part $1 from $STACK_DIR/$1.sh in a new process group; appends to $STACK_DIR/$1.log.
launch_part() {
  setsid bash "$STACK_DIR/$1.sh" >>"$STACK_DIR/$1.log" 2>&1 </dev/null &
  echo $! >"$STACK_DIR/$1.pid"
}

# Stops part $1's process group, if it runs.
stop_part() {
  local f="$STACK_DIR/$1.pid" g
  [ -f "$f" ] || return 0
  g=$(cat "$f")
  kill -TERM -- "-$g" 2>/dev/null || true
  for _ in $(seq 1 25); do kill -0 -- "-$g" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$g" 2>/dev/null || true
  rm -f "$f"
}

start_stack() {
  for p in "$HUIFANG_EDGE_PORT" "$HUIFANG_ORIGIN_PORT"; do
    port_free "$p" || { echo "[stack] port $p is in use; set HUIFANG_EDGE_PORT/HUIFANG_ORIGIN_PORT" >&2; return 1; }
  done
  case ${HUIFANG_EDGE_RUNTIME:-wrangler} in
    wrangler | workerd) ;;
    *) echo "[stack] HUIFANG_EDGE_RUNTIME is wrangler or workerd, not $HUIFANG_EDGE_RUNTIME" >&2; return 1 ;;
  esac
  STACK_DIR="$(pwd)/$HUIFANG_STATE_DIR/run-$(date +%Y%m%d-%H%M%S)-$$"
  mkdir -p "$STACK_DIR"
  export STACK_DIR
  local keys
  keys=$("$HUIFANG_ORIGIN_BIN" public-key .dev.vars)
  cat >"$STACK_DIR/origin.sh" <<SH
cd "$(pwd)"
exec "$HUIFANG_ORIGIN_BIN" serve --listen 127.0.0.1:$HUIFANG_ORIGIN_PORT \\
  --db "${HUIFANG_ORIGIN_DB:-$STACK_DIR/origin.sqlite3}" --edge-keys "$keys" --sms-outbox \\
  --edge-url "$EDGE_URL" --insurer-secret-file .dev.vars
SH
  if [ "${HUIFANG_EDGE_RUNTIME:-wrangler}" = workerd ]; then
    cat >"$STACK_DIR/edge.sh" <<SH
cd "$(pwd)"
exec tools/workerd-edge.sh "$STACK_DIR/edge-bundle" "$STACK_DIR/edge" 127.0.0.1:$HUIFANG_EDGE_PORT \\
  --var "ORIGIN_URL:$ORIGIN_URL" ${WRANGLER_DEV_ARGS:-}
SH
  else
    cat >"$STACK_DIR/edge.sh" <<SH
cd "$(pwd)"
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false
# wrangler writes every line it logs, at every level, to a debug file: ~140 MB a bench run, which
# by default piles up in ~/.config/.wrangler/logs. Kept with this run's other logs instead.
export WRANGLER_LOG_PATH="$STACK_DIR/wrangler-debug.log"
exec node_modules/.bin/wrangler dev --port $HUIFANG_EDGE_PORT --ip 127.0.0.1 \\
  --persist-to "$STACK_DIR/edge" --var "ORIGIN_URL:$ORIGIN_URL" ${WRANGLER_DEV_ARGS:-}
SH
  fi
  launch_part origin
  launch_part edge
  wait_for "$ORIGIN_URL/healthz" 30 origin "$STACK_DIR/origin.log" &&
    wait_for "$EDGE_URL/" 60 edge "$STACK_DIR/edge.log"
}

# Stops exactly the parts start_stack (or stack-ctl.sh) started, and nothing else.
stop_stack() {
  [ -n "${STACK_DIR:-}" ] || return 0
  stop_part edge
  stop_part origin
}

# Stops the stack when the script ends, however it ends: the stop path runs once and to its end
# whatever signals arrive meanwhile. A stop by SIGTERM to the process group (timeout, a service
# manager, a CI runner) brings two: the group's own and the one make forwards to its child; a second
# one that interrupted stop_stack used to leave the origin and workerd running (issue 12).
stop_stack_on_exit() {
  trap _stop_stack_once EXIT
  trap 'trap "" INT TERM HUP; exit 130' INT
  trap 'trap "" INT TERM HUP; exit 143' TERM HUP
}
_stop_stack_once() {
  trap '' INT TERM HUP
  [ -z "${_stack_stopping:-}" ] || return 0
  _stack_stopping=1
  stop_stack
}
