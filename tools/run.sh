#!/usr/bin/env bash
# `make run`: starts the origin and the edge on loopback, creates one demo revisit through the
# insurer API, prints its link and where its SMS codes can be read, and waits. Ctrl-C stops exactly
# what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/stack.sh
stop_stack_on_exit
start_stack
node tools/demo.mjs
echo "State and logs: $STACK_DIR"
echo "Ctrl-C stops the origin and the edge."
wait
