#!/usr/bin/env bash
# Runs cc-connector end to end on this machine. It starts a throwaway PostgreSQL 15 with the Town
# of Cary permits table and cc-mock-api in place of the Contractors Cloud import API. The connector
# then captures and delivers the permits, including rows inserted while it runs.
#
#   scripts/demo.sh          run the demo, then stop everything and remove the temp folder
#   scripts/demo.sh --keep   leave PostgreSQL, the mock API and the connector running
#
# Installs its dependencies with scripts/install-deps.sh, so it needs root or sudo for apt-get.
# CC_BUILD_DIR selects the build folder (default: build/ in the repository).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${CC_BUILD_DIR:-$root/build}
csv=$root/scripts/demo/cary_nc_permits_2015.csv
pg_bin=/usr/lib/postgresql/15/bin

first_rows=200  # rows loaded before the connector starts
live_rows=25    # rows inserted while it runs, in batches of live_batch
live_batch=5
wait_seconds=30 # how long to wait for every row to be imported or held

keep=false
for argument in "$@"; do
  case "$argument" in
    --keep) keep=true ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown option '$argument'; use --keep or --help" >&2
      exit 2
      ;;
  esac
done

step() {
  printf '\n\033[1m== %s\033[0m\n' "$*"
}

fail() {
  echo "demo failed: $*" >&2
  exit 1
}

# PostgreSQL refuses to run as root, so as root its programs run as the postgres user.
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# ---------------------------------------------------------------------------------------------
# Cleanup: runs on every exit, including a failed step and Ctrl-C.

demo_dir=""
connector_pid=""
mock_pid=""
finished=false

stop_process() {
  local pid=$1 name=$2
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # Up to 15 s for a clean stop: in-flight requests finish and their outcomes are recorded.
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name (pid $pid) did not stop within 15 s of SIGTERM; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -z "$demo_dir" ]]; then
    exit "$status"
  fi
  if $keep && $finished; then
    exit "$status"
  fi
  # A failed step shows the last lines of each log, but Ctrl-C (130) and SIGTERM (143) do not.
  if [[ $status -ne 0 && $status -ne 130 && $status -ne 143 ]]; then
    for log in connector.log mock-api.log postgres.log; do
      if [[ -s "$demo_dir/$log" ]]; then
        echo "--- last lines of $log" >&2
        tail -n 15 "$demo_dir/$log" >&2
      fi
    done
  fi
  stop_process "$connector_pid" cc-connector
  stop_process "$mock_pid" cc-mock-api
  if [[ -f "$demo_dir/pgdata/postmaster.pid" ]]; then
    as_postgres "$pg_bin/pg_ctl" -D "$demo_dir/pgdata" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$demo_dir"
  echo "cleaned up: servers stopped and $demo_dir removed"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------

step "Installing dependencies with scripts/install-deps.sh (apt-get)"
"$root/scripts/install-deps.sh"

step "Building cc-connector and cc-mock-api in $build"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target cc-connector cc-mock-api >"$build/demo-build.log" 2>&1 || {
  tail -n 30 "$build/demo-build.log" >&2
  fail "the build failed; the full log is $build/demo-build.log"
}
connector=$build/cc-connector
mock_api=$build/cc-mock-api
echo "built $connector and $mock_api"

demo_dir=$(mktemp -d /tmp/cc-demo-XXXXXX)
# The postgres user needs to reach the socket and data folders inside.
chmod 755 "$demo_dir"

step "Starting a throwaway PostgreSQL 15 in $demo_dir (UNIX socket only, no TCP port)"
[[ -x "$pg_bin/initdb" ]] || fail "PostgreSQL 15 server programs not found in $pg_bin; install postgresql-15"
mkdir -p "$demo_dir/pgdata" "$demo_dir/socket"
if [[ $(id -u) -eq 0 ]]; then
  chown postgres:postgres "$demo_dir/pgdata" "$demo_dir/socket"
  touch "$demo_dir/postgres.log"
  chown postgres:postgres "$demo_dir/postgres.log"
fi
as_postgres "$pg_bin/initdb" -D "$demo_dir/pgdata" -U postgres --auth=trust -E UTF8 --no-locale \
  >"$demo_dir/initdb.log" 2>&1 || {
  cat "$demo_dir/initdb.log" >&2
  fail "initdb failed"
}
as_postgres "$pg_bin/pg_ctl" -D "$demo_dir/pgdata" -l "$demo_dir/postgres.log" -w -t 60 \
  -o "-k $demo_dir/socket -c listen_addresses=''" start >/dev/null || fail "PostgreSQL did not start"
database_url="postgresql:///jobs?host=$demo_dir/socket&user=postgres"
admin_url="postgresql:///postgres?host=$demo_dir/socket&user=postgres"
echo "PostgreSQL is running; its socket is in $demo_dir/socket"

sql() {
  psql "$database_url" -X -q -v ON_ERROR_STOP=1 "$@"
}

step "Creating database jobs with the permits table from mappings/cary_permits.sql"
psql "$admin_url" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE jobs"
sql -f "$root/mappings/cary_permits.sql"
echo "created table public.permits in database jobs"

step "Starting cc-mock-api on 127.0.0.1 (the stand-in for the Contractors Cloud import API)"
# The key travels in the environment only: an argument would be visible to every user in ps.
CC_API_KEY="demo-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
export CC_API_KEY
store=$demo_dir/mock-records.jsonl
"$mock_api" --bind 127.0.0.1 --port 0 --port-file "$demo_dir/mock-api.port" --key-env CC_API_KEY \
  --store "$store" </dev/null >"$demo_dir/mock-api.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 100); do
  [[ -s "$demo_dir/mock-api.port" ]] && break
  kill -0 "$mock_pid" 2>/dev/null || fail "cc-mock-api exited at start"
  sleep 0.1
done
[[ -s "$demo_dir/mock-api.port" ]] || fail "cc-mock-api did not report its port within 10 s"
mock_port=$(cat "$demo_dir/mock-api.port")
mock_url=http://127.0.0.1:$mock_port
echo "cc-mock-api is listening on $mock_url and appends every accepted record to $store"

step "Writing the demo configuration $demo_dir/connector.toml"
config=$demo_dir/connector.toml
cat >"$config" <<EOF
# cc-connector demo configuration, written by scripts/demo.sh.
mappings = ["$root/mappings/cary_permits.toml"]

[database]
url = "$database_url"

[api]
url = "$mock_url/api/v2/import/record"
# The key is read from this environment variable, never from this file.
key_env = "CC_API_KEY"

[delivery]
retry_initial = "200ms"
retry_max = "5s"

[capture]
# Catch-up timer in case a NOTIFY is missed. A NOTIFY wakes the connector at once.
poll_interval = "1s"
EOF
cat "$config"

step "cc-connector check: validates the configuration, the mapping and the table's columns"
"$connector" -c "$config" check

step "cc-connector init: installs the cc_sync schema and the capture triggers on permits"
"$connector" -c "$config" init

step "The shop adds $first_rows permits while the connector is not running yet"
# The triggers record each insert in cc_sync.change_log, and the connector reads them when it starts.
head -n $((first_rows + 1)) "$csv" >"$demo_dir/first.csv"
sql -c "\\copy permits FROM '$demo_dir/first.csv' WITH (FORMAT csv, HEADER true)"
echo "permits: $(sql -A -t -c 'SELECT count(*) FROM permits') rows;" \
  "change log: $(sql -A -t -c 'SELECT count(*) FROM cc_sync.change_log') captured changes"

step "cc-connector preview --limit 2: the import records the first two permits map to (nothing is sent)"
"$connector" -c "$config" preview --limit 2

step "Starting cc-connector run in the background (log: $demo_dir/connector.log)"
"$connector" -c "$config" run </dev/null >"$demo_dir/connector.log" 2>&1 &
connector_pid=$!
sleep 2
kill -0 "$connector_pid" 2>/dev/null || fail "cc-connector run exited at start"
grep -E 'starting|batch' "$demo_dir/connector.log" | head -n 3 || true

step "The shop adds $live_rows more permits while the connector runs (live capture via NOTIFY)"
for ((offset = 0; offset < live_rows; offset += live_batch)); do
  first_line=$((first_rows + 2 + offset))
  last_line=$((first_line + live_batch - 1))
  {
    head -n 1 "$csv"
    sed -n "${first_line},${last_line}p" "$csv"
  } >"$demo_dir/live.csv"
  sql -c "\\copy permits FROM '$demo_dir/live.csv' WITH (FORMAT csv, HEADER true)"
  echo "inserted permits $((first_line - 1)) to $((last_line - 1))"
  sleep 1
done
total_rows=$(sql -A -t -c 'SELECT count(*) FROM permits')

step "Waiting up to ${wait_seconds}s until all $total_rows permits are imported or held"
settled_query="SELECT count(*) FROM cc_sync.import_status WHERE state IN ('imported', 'held')"
settled=0
for ((second = 0; second < wait_seconds; second++)); do
  kill -0 "$connector_pid" 2>/dev/null || fail "cc-connector run exited unexpectedly"
  settled=$(sql -A -t -c "$settled_query")
  [[ "$settled" -ge "$total_rows" ]] && break
  sleep 1
done
[[ "$settled" -ge "$total_rows" ]] ||
  fail "only $settled of $total_rows permits were imported or held after ${wait_seconds}s"
echo "all $total_rows permits are settled; the connector's delivery rounds:"
grep 'batch source=' "$demo_dir/connector.log" | sed 's/^[^ ]* //' | head -n 12 || true

held_key=$(sql -A -t -c "SELECT row_key->>'permit_number' FROM cc_sync.import_status
                          WHERE state = 'held' ORDER BY (row_key->>'permit_number')::bigint LIMIT 1")
if [[ -n "$held_key" ]]; then
  step "Held rows: permits with no owner cannot be imported, because Contractors Cloud needs a contact name"
  echo "Each held row keeps its reason in cc_sync.import_status.error. Some of them:"
  sql -P pager=off -c "SELECT row_key->>'permit_number' AS permit, p.address, state, error
                         FROM cc_sync.import_status s
                         JOIN permits p ON p.permit_number = (s.row_key->>'permit_number')::bigint
                        WHERE state = 'held' ORDER BY p.permit_number LIMIT 4"

  step "The shop fixes permit $held_key by adding its owner; the connector re-evaluates and sends it"
  sql -c "UPDATE permits SET owner = 'DEMO OWNER' WHERE permit_number = $held_key"
  state=""
  for _ in $(seq 1 20); do
    state=$(sql -A -t -c "SELECT state FROM cc_sync.import_status WHERE row_key->>'permit_number' = '$held_key'")
    [[ "$state" == imported ]] && break
    sleep 0.5
  done
  [[ "$state" == imported ]] || fail "permit $held_key is '$state' 10 s after its update, expected 'imported'"
  echo "permit $held_key: $state"
fi

step "cc-connector status"
"$connector" -c "$config" status

step "cc_sync.import_status: rows per state, then a few rows"
sql -P pager=off -c "SELECT state, count(*) AS rows FROM cc_sync.import_status GROUP BY state ORDER BY state"
sql -P pager=off -c "(SELECT row_key, state, http_status, error FROM cc_sync.import_status
                        WHERE state = 'imported' ORDER BY queue_seq LIMIT 3)
                      UNION ALL
                      (SELECT row_key, state, http_status, error FROM cc_sync.import_status
                        WHERE state <> 'imported' ORDER BY queue_seq LIMIT 3)"

step "Records cc-mock-api received (the first 2 of $(wc -l <"$store") in $store)"
# psql formats the stored JSON lines with jsonb_pretty, because jq may not be installed.
sql -A -t -v lines="$(head -n 2 "$store")" <<'EOF'
SELECT jsonb_pretty(line::jsonb) FROM regexp_split_to_table(:'lines', E'\n') AS line;
EOF

if $keep; then
  finished=true
  step "Everything is still running (--keep)"
  cat <<EOF
Folder:        $demo_dir (configuration, logs, mock store)
Database:      psql '$database_url'
Mock API:      $mock_url  (curl $mock_url/_mock/records)
Connector:     pid $connector_pid, log $demo_dir/connector.log
               try: $connector -c $config status

To stop everything and remove the folder:
  kill -TERM $connector_pid $mock_pid
  $( [[ $(id -u) -eq 0 ]] && printf 'runuser -u postgres -- ')$pg_bin/pg_ctl -D $demo_dir/pgdata -m fast stop
  rm -rf $demo_dir
EOF
  exit 0
fi

step "Stopping cc-connector with SIGTERM"
kill -TERM "$connector_pid"
connector_status=0
for _ in $(seq 1 150); do
  kill -0 "$connector_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$connector_pid" 2>/dev/null && fail "cc-connector did not stop within 15 s of SIGTERM"
wait "$connector_pid" || connector_status=$?
connector_pid=""
tail -n 2 "$demo_dir/connector.log"
[[ $connector_status -eq 0 ]] || fail "cc-connector run exited with status $connector_status"
finished=true
echo
echo "Demo complete. The EXIT handler now stops cc-mock-api and PostgreSQL."
