#!/usr/bin/env bash
# Stops or starts one part of a running stack: `stack-ctl.sh stop|start origin|edge`.
# Needs STACK_DIR (exported by tools/stack.sh). Used by the delivery tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/stack.sh
: "${STACK_DIR:?STACK_DIR is not set}"
action=$1 part=$2
case "$action:$part" in
  stop:origin | stop:edge) stop_part "$part" ;;
  start:origin) launch_part origin; wait_for "$ORIGIN_URL/healthz" 30 origin "$STACK_DIR/origin.log" ;;
  start:edge) launch_part edge; wait_for "$EDGE_URL/" 60 edge "$STACK_DIR/edge.log" ;;
  *) echo "usage: stack-ctl.sh stop|start origin|edge" >&2; exit 2 ;;
esac
