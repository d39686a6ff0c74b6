#!/usr/bin/env bash
# Proves that tools/check-regions.mjs fails: runs it on a scratch copy of wrangler.toml (in its own
# git repository, build outputs linked) once as it is, which must pass, then once per fault, each of
# which must exit 1 and name the fault. Part of `make test`, after the build.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
CHECK=(node tools/check-regions.mjs)
source tools/fault-cases.sh
scratch=$fault_scratch

# fresh: a clean copy in a new git repository with wrangler.toml and .gitignore added (the check
# looks at what git tracks).
fresh() {
  rm -rf "$scratch/.git" "$scratch/.dev.vars"
  cp "$root/wrangler.toml" "$root/.gitignore" "$scratch/"
  git -C "$scratch" init -q && git -C "$scratch" add wrangler.toml .gitignore
}

fresh
expect "the shipped configuration" 0 '^check-regions: every region passes'

fresh; edit 's/(\[env\.shanghai\.vars\][^\[]*?)SMS_SIGNATURE = "[^"]*"\n/$1/s'
expect "a missing var" 1 '^FAIL shanghai: vars .* missing SMS_SIGNATURE' --no-dry-run

fresh; edit 's#ORIGIN_URL = "https://revisit-origin-gd#ORIGIN_URL = "http://revisit-origin-gd#'
expect "an http origin" 1 '^FAIL guangdong: ORIGIN_URL is https: got "http://' --no-dry-run

fresh; edit 's/(\[env\.beijing\.vars\]\n)/$1INSURER_API_SECRET = "not-so-secret"\n/'
expect "a committed secret" 1 '^FAIL beijing: no secret in vars: INSURER_API_SECRET is a secret' --no-dry-run

fresh; edit 's/(\[vars\]\n)/$1ID_HASH_SALT = "00112233445566778899aabbccddeeff00112233"\n/'
expect "a key-like value" 1 '^FAIL top level: no secret in vars: ID_HASH_SALT holds a long hex string' --no-dry-run

fresh; echo 'INSURER_API_SECRET="x"' >"$scratch/.dev.vars"; git -C "$scratch" add -f .dev.vars
expect "a tracked .dev.vars" 1 '^FAIL git: no .dev.vars or .env file tracked: tracked: .dev.vars' --no-dry-run

fresh; edit 's/REGION = "shanghai"/REGION = "beijing"/'
expect "a region named twice" 1 '^FAIL shanghai: REGION "beijing" is also beijing' --no-dry-run

fresh; edit 's/\[\[env\.guangdong\.durable_objects\.bindings\]\]\nname = "THROTTLES"\nclass_name = "SendThrottle"\n//'
expect "a binding not repeated" 1 '^FAIL guangdong: Durable Object bindings .* missing THROTTLES' --no-dry-run

fresh; edit 's/\[\[env\.shanghai\.durable_objects\.bindings\]\]\nname = "IDEMPOTENCY"\nclass_name = "IdempotencyRecord"\n//'
expect "the idempotency binding not repeated" 1 '^FAIL shanghai: Durable Object bindings .* missing IDEMPOTENCY' --no-dry-run

fresh; edit 's/(\[env\.beijing\.vars\][^\[]*?)PUBLIC_BASE_URL = "[^"]*"\n/$1/s'
expect "no public base for links" 1 '^FAIL beijing: vars .* missing PUBLIC_BASE_URL' --no-dry-run

fresh; edit 's#^main = "edge/build/worker/shim.mjs"#main = "edge/build/worker/absent.mjs"#m'
expect "a deploy that cannot bundle" 1 '^FAIL beijing: wrangler deploy --dry-run'

fault_cases_done check-regions-test
