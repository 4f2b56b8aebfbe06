#!/usr/bin/env bash
# Starts or stops the throwaway PostgreSQL 15 cluster that the integration tests use.
#   postgres_fixture.sh start DIR   initdb in DIR and start a server on a UNIX socket in DIR/socket
#   postgres_fixture.sh halt DIR    stop the server with a fast shutdown, keeping its data
#   postgres_fixture.sh resume DIR  start a halted server again
#   postgres_fixture.sh stop DIR    stop it and remove DIR
# The server listens on no TCP port. PostgreSQL refuses to run as root, so as root the cluster
# belongs to the postgres user.
set -euo pipefail

action=${1:?usage: postgres_fixture.sh start|halt|resume|stop DIR}
dir=${2:?usage: postgres_fixture.sh start|halt|resume|stop DIR}
port=${CC_TEST_PG_PORT:-54329}

bindir=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
if [[ -z "$bindir" ]]; then
  echo "PostgreSQL 15 server binaries not found in /usr/lib/postgresql/15/bin; install postgresql-15" >&2
  exit 1
fi

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop_server() {
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

start_server() {
  # fsync=off: the tests kill the connector, never the server, so durability across an OS crash
  # buys nothing here and costs seconds.
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir/socket -p $port -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
  }
}

case "$action" in
  start)
    stop_server
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    if [[ $(id -u) -eq 0 ]]; then
      chown -R postgres:postgres "$dir"
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    start_server
    echo "PostgreSQL running on socket $dir/socket port $port"
    ;;
  halt)
    # A fast shutdown terminates every session, as a restart by a DBA or a package upgrade does.
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    start_server
    ;;
  stop)
    stop_server
    rm -rf "$dir"
    ;;
  *)
    echo "unknown action '$action'; use start, halt, resume or stop" >&2
    exit 2
    ;;
esac
