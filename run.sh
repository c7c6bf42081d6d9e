#!/usr/bin/env bash
# Runs the whole stack with the Aspire dashboard: ./run.sh [AppHost options, e.g. --OdooAspire:OdooNodes=2]
# Without a container engine the servers run as local processes (Debian packages, installed if missing).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/prerequisites.sh
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true   # the dashboard over plain http on localhost
exec dotnet run --project src/OdooAspire.AppHost -- "$@"
