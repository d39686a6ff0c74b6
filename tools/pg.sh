#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the benchmark (issue 17): initdb + pg_ctl under
# $HUIFANG_STATE_DIR/pg, listening on 127.0.0.1 only, no system service. Idempotent.
#   tools/pg.sh start   start it (initdb the first time; create the database); prints its URL
#   tools/pg.sh url     print the connection string (postgres://huifang@127.0.0.1:PORT/huifang)
#   tools/pg.sh schema NAME   (re)create schema NAME, empty; print the URL of an archive in it
#   tools/pg.sh drop NAME     drop schema NAME and everything in it
#   tools/pg.sh stop    stop it (the data stays, for the next start)
#   tools/pg.sh clean   stop it and delete its data
# Configuration: HUIFANG_PG_PORT (default 25432), HUIFANG_STATE_DIR (default .state).
# Debian's `postgresql` package provides the server (tools/setup.sh installs it). initdb refuses to
# run as root: under root the cluster is run by the `postgres` user the package creates.
set -euo pipefail
cd "$(dirname "$0")/.."
# Below the kernel's ephemeral range (32768–60999), so no outgoing connection can hold it.
PORT=${HUIFANG_PG_PORT:-25432}
STATE=${HUIFANG_STATE_DIR:-.state}
mkdir -p "$STATE"
DATA="$(cd "$STATE" && pwd)/pg"
URL="postgres://huifang@127.0.0.1:$PORT/huifang"

say() { printf '[pg] %s\n' "$*" >&2; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || { say "no PostgreSQL server: run tools/setup.sh (apt-get install postgresql)"; return 1; }
  echo "$d"
}

as_owner() { # runs a server tool as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -d "$DATA" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# Under root the server runs as `postgres`, which must be able to pass through every folder above
# the cluster: a checkout in a private folder (`mktemp -d` makes it 0700) gets search permission
# for others on those folders, never read.
reachable_by_owner() {
  [ "$(id -u)" -eq 0 ] || return 0
  local dir=$DATA
  while dir=$(dirname "$dir") && [ "$dir" != / ]; do
    if ! runuser -u postgres -- test -x "$dir"; then
      say "letting the postgres user pass through $dir (chmod o+x)"
      chmod o+x "$dir"
    fi
  done
}

start() {
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "initdb $DATA"
    rm -rf "$DATA"
    mkdir -p "$DATA"
    reachable_by_owner
    [ "$(id -u)" -ne 0 ] || chown postgres: "$DATA"
    chmod 700 "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U huifang --auth=trust -E UTF8 --no-locale >"$DATA.initdb.log" 2>&1 ||
      { cat "$DATA.initdb.log" >&2; return 1; }
    rm -f "$DATA.initdb.log"
    # Small and loopback-only: a test server, not a production one.
    cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 120
shared_buffers = 64MB
max_wal_size = 256MB
log_min_messages = warning
EOF
  fi
  if ! running; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -o "-p $PORT" -w -t 60 start >/dev/null ||
      { tail -n 30 "$DATA/server.log" >&2; return 1; }
  fi
  if ! psql -X -q -h 127.0.0.1 -p "$PORT" -U huifang -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'huifang'" | grep -q 1; then
    psql -X -q -h 127.0.0.1 -p "$PORT" -U huifang -d postgres -c "CREATE DATABASE huifang" >/dev/null
  fi
  echo "$URL"
}

stop() {
  if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
}

BIN=$(bindir)
case ${1:-} in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  schema)
    [[ ${2:-} =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "usage: tools/pg.sh schema NAME (a-z, 0-9, _)" >&2; exit 2; }
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U huifang -d huifang \
      -c "DROP SCHEMA IF EXISTS $2 CASCADE" -c "CREATE SCHEMA $2" >/dev/null 2>&1 ||
      { say "cannot create schema $2 (is the cluster started? tools/pg.sh start)"; exit 1; }
    echo "$URL?options=-c%20search_path%3D$2" ;;
  clean) stop; rm -rf "$DATA" ;;
  drop)
    [[ ${2:-} =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "usage: tools/pg.sh drop NAME" >&2; exit 2; }
    psql -X -q -h 127.0.0.1 -p "$PORT" -U huifang -d huifang -c "DROP SCHEMA IF EXISTS $2 CASCADE" >/dev/null 2>&1 || true ;;
  *) echo "usage: tools/pg.sh start|stop|url|schema NAME|drop NAME|clean" >&2; exit 2 ;;
esac
