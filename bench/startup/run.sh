#!/usr/bin/env bash
# Startup benchmark (process runtime): bash bench/startup/run.sh [runs]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build "$root/src/OdooAspire.AppHost" -c Release -nologo -v quiet >/dev/null
exec /usr/bin/python3 "$root/bench/startup/startup.py" "${1:-5}" "$root/src/OdooAspire.AppHost/bin/Release/net10.0/OdooAspire.AppHost.dll"
