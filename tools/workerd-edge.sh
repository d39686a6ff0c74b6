#!/usr/bin/env bash
# Runs the edge as a plain `workerd serve` of its generated configuration (issue 18), for the local
# stack (tools/stack.sh with HUIFANG_EDGE_RUNTIME=workerd). Same role as `wrangler dev` there.
#
#   tools/workerd-edge.sh <bundle dir> <state dir> <listen address> [--var NAME:VALUE]… [--inspector-port P]
#
# Generates the bundle (tools/workerd-config.mjs, top level of wrangler.toml) unless <bundle dir>
# already holds one: a restart serves the same configuration and the same state, as a production
# restart would. Takes `wrangler dev`'s --var and --inspector-port, so that the stack's
# WRANGLER_DEV_ARGS mean the same on both runtimes. Secrets come from .dev.vars, into the
# environment of workerd only (the configuration names them, never holds them).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$1 state=$2 listen=$3
shift 3
gen=() serve=()
while [ $# -gt 0 ]; do
  case $1 in
    --var) gen+=(--var "$2"); shift 2 ;;
    --inspector-port) serve+=("--inspector-addr=127.0.0.1:$2"); shift 2 ;;
    *) echo "workerd-edge: $1 is not supported on the workerd runtime (only --var, --inspector-port)" >&2; exit 2 ;;
  esac
done
workerd=${HUIFANG_WORKERD_BIN:-node_modules/@cloudflare/workerd-linux-64/bin/workerd}
[ -x "$workerd" ] || workerd=node_modules/workerd/bin/workerd
workerd=$(realpath "$workerd")
mkdir -p "$state"
if [ ! -f "$bundle/edge.capnp" ]; then
  # Loopback, no proxy: a request naming no client address comes from this machine (as under
  # `wrangler dev`); the tests name their own with CF-Connecting-IP.
  node tools/workerd-config.mjs --out "$bundle" --state-dir "$(realpath "$state")" --listen "$listen" \
    --local-client-address 127.0.0.1 "${gen[@]}"
fi
if [ -f .dev.vars ]; then
  set -a
  # shellcheck disable=SC1091
  . ./.dev.vars
  set +a
fi
cd "$bundle"
exec "$workerd" serve "${serve[@]}" edge.capnp
