#!/usr/bin/env bash
# Runs once in the official postgres image's initdb phase (container runtime): make the fresh
# primary ready for streaming replicas, with the same definitions the process runtime uses.
set -euo pipefail
. /odooaspire/postgres/replication-setup.sh
replication_settings >> "$PGDATA/postgresql.conf"
replication_hba >> "$PGDATA/pg_hba.conf"
replication_sql | psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres
