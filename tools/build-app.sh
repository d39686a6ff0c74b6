#!/usr/bin/env bash
# Builds the policyholder app into app/dist: release wasm, wasm-bindgen glue, wasm-opt, the HTML shell
# with the CSS inside, and its boot script. Run from the repository root. Downloads nothing: every tool must
# already be installed (see BUILD notes: wasm-bindgen 0.2.130, npm binaryen 132 for wasm-opt, npm esbuild).
set -euo pipefail

cd "$(dirname "$0")/.."

WASM_BINDGEN="${WASM_BINDGEN:-wasm-bindgen}"
WASM_OPT="${WASM_OPT:-node_modules/binaryen/bin/wasm-opt}"
OUT=app/dist
# Built aside and copied in at the end, so a running `wrangler dev` never sees a half-built or
# deleted app/dist (deleting the directory under it breaks its asset serving until restarted).
STAGE=target/app-dist

# The app's own profile (Cargo.toml: the release profile, but the core size-first again, as the
# browser downloads it). Source paths in the wasm (the panic locations the code keeps) are written
# relative to the registry, not this machine's home: shorter, and the same on every machine.
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
remap=""
for dir in "$registry"/*/; do
  [ -d "$dir" ] && remap="$remap --remap-path-prefix=$dir="
done
RUSTFLAGS="${RUSTFLAGS:-}$remap" cargo build --profile wasm-release --target wasm32-unknown-unknown -p app

rm -rf "$STAGE"
mkdir -p "$STAGE"
"$WASM_BINDGEN" --target web --no-typescript --out-dir "$STAGE" --out-name app \
  target/wasm32-unknown-unknown/wasm-release/app.wasm

# Before wasm-opt, which then drops the code only they reached.
node tools/wasm-drop-exports.mjs "$STAGE/app_bg.wasm" "$STAGE/app_bg.wasm"

if [ -x "$WASM_OPT" ]; then
  # Debian's wasm-opt (108) breaks this output; the npm binaryen build (132) is the one that works.
  "$WASM_OPT" -Oz "$STAGE/app_bg.wasm" -o "$STAGE/app_bg.wasm"
else
  echo "warning: $WASM_OPT not found; app_bg.wasm is not size-optimized" >&2
fi

# The wasm-bindgen glue and the module that loads it, minified (esbuild, as for the edge's bundle):
# app.js is on every first visit's path, and unminified it is a sixth of what the app's wasm is
# gzipped (issue 19). Module format kept: start.js imports app.js's default export.
ESBUILD="${ESBUILD:-node_modules/.bin/esbuild}"
"$ESBUILD" "$STAGE/app.js" --minify --format=esm --log-level=warning --outfile="$STAGE/app.min.js"
mv "$STAGE/app.min.js" "$STAGE/app.js"
"$ESBUILD" app/start.js --minify --format=esm --log-level=warning --outfile="$STAGE/start.js"

# The stylesheet of the edge's server-rendered fallback pages (edge/src/fallback.rs): unversioned.
cp app/fallback.css "$STAGE/fallback.css"
# The shell's files are asked for as /file?v=BUILD (a hash of this build's files), so a page never
# mixes two builds and the service worker and the HTTP cache may keep them (app/sw.js; the edge
# serves them as immutable, edge/src/headers.rs).
for f in index.html boot.js sw.js; do cp "app/$f" "$STAGE/$f"; done
# The stylesheet goes inside the page (issue 19: the first paint waits for no second file), byte for
# byte: the CSP allows it by the sha256 of style/app.css (edge/src/headers.rs checks the hash).
node -e '
const { readFileSync, writeFileSync } = require("node:fs");
const [page, css] = process.argv.slice(1);
const html = readFileSync(page, "utf8"), mark = "<style>/*app.css*/</style>";
if (html.split(mark).length !== 2) throw new Error(page + ": expected one " + mark);
writeFileSync(page, html.replace(mark, () => "<style>" + readFileSync(css, "utf8") + "</style>"));
' "$STAGE/index.html" style/app.css
BUILD=$(cat "$STAGE"/app.js "$STAGE"/app_bg.wasm "$STAGE"/index.html \
  "$STAGE"/boot.js "$STAGE"/start.js "$STAGE"/sw.js | sha256sum | cut -c1-12)
sed -i "s/__BUILD__/$BUILD/g" "$STAGE"/index.html "$STAGE"/boot.js "$STAGE"/start.js "$STAGE"/sw.js

# Brotli copies (best level) of what a first visit downloads, sent by the edge to browsers that take
# brotli (edge/src/shell.rs); workerd itself compresses with gzip only.
node -e '
const { readFileSync, writeFileSync } = require("node:fs");
const { brotliCompressSync, constants } = require("node:zlib");
for (const f of process.argv.slice(1)) {
  const raw = readFileSync(f);
  writeFileSync(f + ".br", brotliCompressSync(raw, { params: {
    [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
}' "$STAGE"/index.html "$STAGE"/boot.js "$STAGE"/start.js "$STAGE"/app.js "$STAGE"/app_bg.wasm

mkdir -p "$OUT"
cp "$STAGE"/* "$OUT/"
# Drop files an earlier build left behind.
for f in "$OUT"/*; do
  [ -e "$STAGE/$(basename "$f")" ] || rm -rf "$f"
done

ls -l "$OUT"
