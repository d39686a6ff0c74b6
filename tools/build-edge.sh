#!/usr/bin/env bash
# Builds the edge worker with worker-build, pointed at local tools so that it downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$root/node_modules/binaryen/bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
cd edge
worker-build --release
