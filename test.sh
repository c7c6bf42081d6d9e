#!/usr/bin/env bash
# Builds and runs every test against real PostgreSQL, Redis and the .NET services (process runtime).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/prerequisites.sh

dotnet build OdooAspire.sln -nologo -v quiet
log=$(mktemp)
status=0
dotnet test OdooAspire.sln --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# One closing line in the plain form CI reads: "N passed, N failed".
passed=$(awk '/^ +Passed: +[0-9]+$/ {s+=$2} END {print s+0}' "$log")
failed=$(awk '/^ +Failed: +[0-9]+$/ {s+=$2} END {print s+0}' "$log")
rm -f "$log"
echo "tests: $passed passed, $failed failed"
exit "$status"
