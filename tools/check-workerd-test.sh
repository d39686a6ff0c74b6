#!/usr/bin/env bash
# Proves that tools/check-workerd.mjs fails: runs it on a scratch copy of wrangler.toml (build
# outputs linked) once as it is, which must pass, then once per fault, each of which must exit 1 and
# name the fault. Part of `make test`, after the build.
set -uo pipefail
cd "$(dirname "$0")/.."
CHECK=(node tools/check-workerd.mjs)
source tools/fault-cases.sh

fresh
expect "the shipped configuration" 0 '^check-workerd: every configuration passes'

fresh; edit 's/\[\[env\.guangdong\.durable_objects\.bindings\]\]\nname = "THROTTLES"\nclass_name = "SendThrottle"\n//'
expect "a binding not repeated" 1 '^FAIL guangdong: Durable Object bindings .* missing THROTTLES' --no-serve

fresh; edit 's/(\[env\.beijing\.vars\]\n)/$1INSURER_API_SECRET = "not-so-secret"\n/'
expect "a secret in vars" 1 '^FAIL beijing: generated edge.capnp: .*INSURER_API_SECRET is a secret' --no-serve

fresh; edit 's/new_sqlite_classes = \["SendThrottle"\]/new_classes = ["SendThrottle"]/'
expect "a namespace not SQLite-backed" 1 '^FAIL local: generated edge.capnp: .*SendThrottle has no new_sqlite_classes migration' --no-serve

fresh; edit 's/\[\[migrations\]\]\ntag = "v3"\nnew_sqlite_classes = \["IdempotencyRecord"\]\n//'
expect "a class without its migration" 1 '^FAIL local: generated edge.capnp: .*IdempotencyRecord has no new_sqlite_classes migration' --no-serve

fresh; edit 's/name = "huifang-edge-shanghai"/name = "huifang-edge-beijing"/'
expect "two regions sharing Durable Object keys" 1 '^FAIL shanghai: RevisitSession has its own uniqueKey .* also beijing' --no-serve

fresh; edit 's#ORIGIN_URL = "https://revisit-origin-gd#ORIGIN_URL = "http://revisit-origin-gd#'
expect "an origin without TLS" 1 '^FAIL guangdong: the origin over TLS' --no-serve

fresh; edit 's#^main = "edge/build/worker/shim.mjs"#main = "edge/build/worker/absent.mjs"#m'
expect "a worker not built" 1 '^FAIL local: generated edge.capnp: worker module .*absent.mjs is missing' --no-serve

fresh; edit 's/^compatibility_date = "[^"]*"/compatibility_date = "2099-01-01"/m'
expect "a configuration workerd refuses" 1 '^FAIL local: workerd serves it'

fault_cases_done check-workerd-test
