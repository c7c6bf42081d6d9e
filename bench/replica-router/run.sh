#!/usr/bin/env bash
# Replica router benchmark: pgbench -S directly to a replica, through the router (as deployed, with its
# user-space relay, and over one replica), HAProxy (tcp mode; both replicas and one) and pgbouncer (session
# mode), interleaved, persistent and -C; then a replica kill under load. The kernel relay needs root (CAP_BPF).
# Starts its own primary and two replicas (the AppHost's scripts/postgres/postgres.sh), prints numbers and
# stops everything it started. Needs: postgresql, pgbench, haproxy, pgbouncer, python3-psycopg2, dotnet.
#   bash bench/replica-router/run.sh              (BENCH_SECONDS=8 BENCH_ROUNDS=2 BENCH_CLIENTS=8 to tune)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
for tool in pgbench haproxy pgbouncer dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install ${tool/dotnet/dotnet-sdk-10.0}"; exit 2; }
done
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || { echo "psycopg2 not found for /usr/bin/python3: apt-get install python3-psycopg2"; exit 2; }
dotnet build "$repo/src/OdooAspire.ReplicaRouter" -c Release -nologo -v q -clp:ErrorsOnly
exec /usr/bin/python3 "$here/bench.py" \
  --router "$repo/src/OdooAspire.ReplicaRouter/bin/Release/net10.0/OdooAspire.ReplicaRouter.dll" \
  --postgres-script "$repo/src/OdooAspire.AppHost/scripts/postgres/postgres.sh" "$@"
