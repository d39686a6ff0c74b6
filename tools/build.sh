#!/usr/bin/env bash
# Builds the three deployables: the app (app/dist), the edge worker (edge/build), the origin binary.
# The shipped revisit scripts are compiled into the edge: an invalid one stops the build here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -q -p origin
target/debug/huifang-origin validate-script scripts/*.json
tools/build-app.sh
tools/build-edge.sh
