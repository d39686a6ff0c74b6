#!/usr/bin/env bash
# Builds the three deployables: the app (app/dist), the edge worker (edge/build), the origin binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
tools/build-app.sh
tools/build-edge.sh
cargo build -q -p origin
