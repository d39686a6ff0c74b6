#!/usr/bin/env bash
# Installs everything Huifang needs on a fresh Debian machine. Idempotent, versions pinned, and
# nothing is downloaded from outside the package registries (crates.io, npm, PyPI, Debian, rustup).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
WORKER_BUILD_VERSION=0.8.7     # matches worker 0.8
RUST_VERSION=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)

say() { printf '[setup] %s\n' "$*"; }

# Debian: Chromium for Playwright (never Playwright's own browser download), a CJK font for legible screenshots.
apt_missing=()
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
fc-list 2>/dev/null | grep -qi 'WenQuanYi Micro Hei' || apt_missing+=(fonts-wqy-microhei)
# PostgreSQL's server for the store suite's second engine (issue 17): tools/pg.sh runs a throwaway
# cluster with it; the package's own cluster and service are not wanted (create_main_cluster off).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_missing+=(postgresql)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt-get install ${apt_missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  if [[ " ${apt_missing[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    "${sudo_cmd[@]}" mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | "${sudo_cmd[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq -o Dpkg::Options::=--force-confold \
    "${apt_missing[@]}" >/dev/null
fi

# Rust toolchain and the wasm target (pinned in rust-toolchain.toml).
if ! rustup toolchain list | grep -q "^$RUST_VERSION"; then
  say "rustup toolchain install $RUST_VERSION"
  rustup toolchain install "$RUST_VERSION" --profile minimal -c rustfmt -c clippy
fi
if ! rustup target list --installed --toolchain "$RUST_VERSION" | grep -q wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown --toolchain "$RUST_VERSION"
fi

# Cargo tools (10–20 minutes each on two cores, once).
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: the registry lacks a crate its lockfile pins.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  say "cargo install worker-build $WORKER_BUILD_VERSION"
  cargo install worker-build --version "$WORKER_BUILD_VERSION"
fi

# npm: wrangler (brings workerd), binaryen (wasm-opt 132), esbuild, Playwright. Reinstall only when
# the lockfile changed. A node_modules that is a link (a git worktree sharing another checkout's) is
# left alone: npm ci would empty the folder it points to, under the other checkout's feet.
# The origin (for the secrets below) compiles while npm and pip fetch their packages.
cargo build -q -p origin &
origin_build=$!
trap 'kill "$origin_build" 2>/dev/null || true' EXIT

if [ -L node_modules ]; then
  say "node_modules is a link to $(readlink node_modules): npm ci skipped"
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The OpenAPI fuzzer of `make test` (tools/fuzz.sh): schemathesis, pinned, from PyPI into a venv of
# its own under .state/ (Debian's python3-venv if the venv module is missing). Reinstalled only when
# the pin changes.
SCHEMATHESIS_VERSION=4.32.5
venv=.state/schemathesis-venv
if [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    say "apt-get install python3-venv"
    sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >/dev/null
  fi
  say "pip install schemathesis==$SCHEMATHESIS_VERSION (into $venv)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# Local secrets for wrangler dev (never committed): made once, kept after.
wait "$origin_build"
target/debug/huifang-origin dev-secrets .dev.vars
say "ready"
