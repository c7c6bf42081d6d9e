#!/usr/bin/env bash
# Odoo cluster benchmark (process runtime): bash bench/odoo/run.sh [rounds]
# Stand-in nodes by default; real Odoo 18 when ODOOASPIRE_ODOO_SOURCE names a source tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build "$root/src/OdooAspire.AppHost" -c Release -nologo -v quiet >/dev/null
exec /usr/bin/python3 "$root/bench/odoo/bench.py" "${1:-10}" "$root/src/OdooAspire.AppHost/bin/Release/net10.0/OdooAspire.AppHost.dll"
