#!/usr/bin/env bash
# Proves that tools/check-workerd.mjs fails: runs it on a scratch copy of wrangler.toml (build
# outputs linked) once as it is, which must pass, then once per fault, each of which must exit 1 and
# name the fault. Part of `make test`, after the build.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/huifang-workerd-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
ln -s "$root/edge" "$root/app" "$root/node_modules" "$scratch/"
failed=0 cases=0

fresh() { cp "$root/wrangler.toml" "$scratch/"; }

# expect NAME STATUS PATTERN [check args…]: runs the check on the scratch copy; wants STATUS and a
# line matching PATTERN.
expect() {
  local name=$1 want=$2 pattern=$3 out rc
  shift 3
  cases=$((cases + 1))
  out=$(node tools/check-workerd.mjs --config "$scratch/wrangler.toml" "$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
    echo "ok   $name: exit $rc, $(grep -m1 -E -- "$pattern" <<<"$out")"
  else
    echo "FAIL $name: wanted exit $want and a line matching /$pattern/, got exit $rc:"
    sed 's/^/     /' <<<"$out"
    failed=$((failed + 1))
  fi
}

edit() { perl -0pi -e "$1" "$scratch/wrangler.toml"; }

fresh
expect "the shipped configuration" 0 '^check-workerd: every configuration passes'

fresh; edit 's/\[\[env\.guangdong\.durable_objects\.bindings\]\]\nname = "THROTTLES"\nclass_name = "SendThrottle"\n//'
expect "a binding not repeated" 1 '^FAIL guangdong: Durable Object bindings .* missing THROTTLES' --no-serve

fresh; edit 's/(\[env\.beijing\.vars\]\n)/$1INSURER_API_SECRET = "not-so-secret"\n/'
expect "a secret in vars" 1 '^FAIL beijing: generated edge.capnp: .*INSURER_API_SECRET is a secret' --no-serve

fresh; edit 's/new_sqlite_classes = \["SendThrottle"\]/new_classes = ["SendThrottle"]/'
expect "a namespace not SQLite-backed" 1 '^FAIL local: generated edge.capnp: .*SendThrottle has no new_sqlite_classes migration' --no-serve

fresh; edit 's/name = "huifang-edge-shanghai"/name = "huifang-edge-beijing"/'
expect "two regions sharing Durable Object keys" 1 '^FAIL shanghai: RevisitSession has its own uniqueKey .* also beijing' --no-serve

fresh; edit 's#ORIGIN_URL = "https://revisit-origin-gd#ORIGIN_URL = "http://revisit-origin-gd#'
expect "an origin without TLS" 1 '^FAIL guangdong: the origin over TLS' --no-serve

fresh; edit 's#^main = "edge/build/worker/shim.mjs"#main = "edge/build/worker/absent.mjs"#m'
expect "a worker not built" 1 '^FAIL local: generated edge.capnp: worker module .*absent.mjs is missing' --no-serve

fresh; edit 's/^compatibility_date = "[^"]*"/compatibility_date = "2099-01-01"/m'
expect "a configuration workerd refuses" 1 '^FAIL local: workerd serves it'

echo "check-workerd-test: $((cases - failed)) of $cases cases as expected"
[ "$failed" -eq 0 ]
