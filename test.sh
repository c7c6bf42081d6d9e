#!/usr/bin/env bash
# Builds and runs every test against real PostgreSQL, Redis and the .NET services (process runtime).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/prerequisites.sh --tests

dotnet build OdooAspire.sln -nologo -v quiet
log=$(mktemp)
status=0
dotnet test OdooAspire.sln --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

passed=$(awk '/^ +Passed: +[0-9]+$/ {s+=$2} END {print s+0}' "$log")
failed=$(awk '/^ +Failed: +[0-9]+$/ {s+=$2} END {print s+0}' "$log")

# The Redis session store addon for real Odoo, against a real redis-server (Debian's python3 and python3-redis).
/usr/bin/python3 -m unittest discover -s tests/python -v 2>&1 | tee "$log" || status=$?
ran=$(awk '/^Ran [0-9]+ tests?/ {print $2}' "$log")
count() { { grep -Eo "$1=[0-9]+" "$log" || true; } | awk -F= '{s+=$2} END {print s+0}'; }
broken=$(( $(count failures) + $(count errors) ))
skipped=$(count skipped)
passed=$((passed + ${ran:-0} - broken - skipped))
failed=$((failed + broken))
rm -f "$log"

# One closing line in the plain form CI reads.
echo "tests: $passed passed, $failed failed"
exit "$status"
