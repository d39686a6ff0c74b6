#!/usr/bin/env bash
# Builds the three deployables: the app (app/dist), the edge worker (edge/build), the origin binary.
# The shipped revisit scripts are compiled into the edge: an invalid one stops the build here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# The origin (host) builds while the app does: the two wasm builds share a target directory, so run
# one after the other, and their single-threaded steps (the link with LTO, wasm-opt) leave a core free.
cargo build -q -p origin &
origin=$!
trap 'kill "$origin" 2>/dev/null || true' EXIT
tools/build-app.sh
wait "$origin"
target/debug/huifang-origin validate-script scripts/*.json
tools/build-edge.sh
