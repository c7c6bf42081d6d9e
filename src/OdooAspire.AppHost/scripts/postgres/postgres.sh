#!/usr/bin/env bash
# Runs one PostgreSQL server of the stack in the foreground, as the AppHost's process runtime needs it.
#   postgres.sh primary   initdb on first start (replication role, slots, pg_hba), then postgres
#   postgres.sh replica   pg_basebackup -R from the primary on first start, then postgres as hot standby
# postgres refuses to run as root: when started as root, every server command runs as the 'postgres' user.
# Environment: PGBIN PGDATA PGPORT [PGLISTEN, default 127.0.0.1], and
#   primary: POSTGRES_PASSWORD REPLICATION_PASSWORD REPLICA_SLOTS
#   replica: PRIMARY_HOST PRIMARY_PORT REPLICATION_PASSWORD REPLICATION_SLOT REPLICA_NAME
set -euo pipefail
exec 2>&1   # the dashboard treats stderr lines as errors; postgres logs everything there
role=${1:?usage: postgres.sh primary|replica}
PGBIN=${PGBIN:-$(dirname "$(command -v postgres)")}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/replication-setup.sh"

as_server_user=()
if [ "$(id -u)" = 0 ]; then
  as_server_user=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi

prepare_data_dir() {
  mkdir -p "$PGDATA"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA"; fi
  chmod 700 "$PGDATA"
}

init_primary() {
  prepare_data_dir
  local pwfile; pwfile=$(mktemp)
  (umask 077; printf '%s' "$POSTGRES_PASSWORD" > "$pwfile")
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pwfile"; fi
  "${as_server_user[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  {
    echo "listen_addresses = '127.0.0.1'"
    replication_settings
  } >> "$PGDATA/postgresql.conf"
  replication_hba >> "$PGDATA/pg_hba.conf"
  replication_sql | "${as_server_user[@]}" "$PGBIN/postgres" --single -D "$PGDATA" -j postgres >/dev/null
  echo "initialised primary in $PGDATA (slots: ${REPLICA_SLOTS:-none})"
}

init_replica() {
  prepare_data_dir
  PGPASSWORD="$REPLICATION_PASSWORD" "${as_server_user[@]}" "$PGBIN/pg_basebackup" \
    -d "host=$PRIMARY_HOST port=$PRIMARY_PORT user=replicator application_name=${REPLICA_NAME:-replica}" -D "$PGDATA" \
    -R -S "$REPLICATION_SLOT" -X stream -c fast
  echo "bootstrapped replica in $PGDATA from $PRIMARY_HOST:$PRIMARY_PORT (slot $REPLICATION_SLOT)"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  case "$role" in
    primary) init_primary ;;
    replica) init_replica ;;
    *) echo "unknown role '$role': expected primary or replica"; exit 2 ;;
  esac
fi

# A server from an earlier start of this resource may still run on this data directory: its wrapper was killed
# before the server had finished shutting down (a stop under heavy load). Starting now would fail on its lock file;
# ask it for a fast shutdown instead, and wait for it.
stop_leftover_server() {
  local old
  old=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null) || return 0
  [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = postgres ] \
    && tr '\0' ' ' < "/proc/$old/cmdline" 2>/dev/null | grep -qF -- "-D $PGDATA " || return 0
  echo "a server from an earlier start (pid $old) still runs on $PGDATA: asking it to shut down first"
  kill -INT "$old" 2>/dev/null || true
  for _ in $(seq 1 600); do
    kill -0 "$old" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "the earlier server (pid $old) did not shut down within 60 s"
  exit 1
}
stop_leftover_server

# SIGTERM would be a "smart" shutdown that waits for every client to leave; stopping a resource
# means stop now, so turn it into a fast shutdown (SIGINT).
"${as_server_user[@]}" "$PGBIN/postgres" -D "$PGDATA" -p "$PGPORT" -k "" -c listen_addresses="${PGLISTEN:-127.0.0.1}" &
server=$!
trap 'kill -INT "$server" 2>/dev/null || true' TERM INT
status=0
while kill -0 "$server" 2>/dev/null; do
  wait "$server" && status=0 || status=$?
done
exit "$status"
