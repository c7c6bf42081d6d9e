#!/usr/bin/env bash
# Edge bench: one run of the stack on the process runtime with the nginx edge (stand-in nodes), then wrk through the edge
# (HTTPS, what users reach) versus straight to the gateway (plain HTTP on loopback), for
#   - a static asset: the stylesheet bundle the login page links (/web/assets/<unique>/web.assets_frontend.min.css, served
#     by the node with Odoo's year-long public cache), or STATIC_PATH; requested with the session cookie, as a browser does
#     after loading the page, so the edge may cache it;
#   - a dynamic JSON-RPC call (res.partner search_count as a logged-in admin).
# For each static run it also prints how many asset requests reached the nodes (the stand-in's diagnostics route).
# Bounded: CONNECTIONS (16) connections, DURATION (10s) per measurement, loopback only. Usage: bash bench/edge/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/edge
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
STATIC_PATH=${STATIC_PATH:-}
root=$(mktemp -d /tmp/odooaspire-edge-bench.XXXXXX)
chmod 755 "$root"   # PostgreSQL runs as the postgres user and must reach its data folder
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

dotnet build src/OdooAspire.AppHost -v q -nologo >/dev/null
ASPIRE_ALLOW_UNSECURED_TRANSPORT=true dotnet run --no-build --no-launch-profile --project src/OdooAspire.AppHost -- \
  --OdooAspire:Runtime=Processes --OdooAspire:Edge=nginx --OdooAspire:DataRoot="$root" \
  --Parameters:odoo-admin-password="$password" --DcpPublisher:RandomizePorts=true >"$root/apphost.log" 2>&1 &
apphost=$!
cleanup() { kill -TERM "$apphost" 2>/dev/null || true; wait "$apphost" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT

conf=""
for _ in $(seq 1 180); do
  conf=$(ls "$root"/run-*/edge/nginx.conf 2>/dev/null | head -1 || true)
  if [ -n "$conf" ]; then
    https=$(awk '/ssl/ && /listen/ {sub(/.*:/, "", $2); print $2+0; exit}' "$conf")
    statusport=$(awk '/listen/ {p=$2} END {sub(/.*:/, "", p); print p+0}' "$conf")
    gateway=$(awk '/^ *server 127/ {sub(/;/, "", $2); print $2; exit}' "$conf")
    if curl -sf "http://127.0.0.1:$statusport/health" >/dev/null \
      && curl -skf "https://127.0.0.1:$https/web/health" >/dev/null; then
      break
    fi
  fi
  sleep 1
done
curl -skf "https://127.0.0.1:$https/web/health" >/dev/null || { echo "no node answered through the edge within 180 s; see $root/apphost.log" >&2; exit 1; }

edge="https://127.0.0.1:$https"
direct="http://$gateway"
session=$(curl -sk -D - -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":1,\"params\":{\"db\":\"odoo\",\"login\":\"admin\",\"password\":\"$password\"}}" \
  "$edge/web/session/authenticate" | awk -F'[=;]' 'tolower($1) ~ /set-cookie: session_id/ {print $2; exit}')
[ -n "$session" ] || { echo "could not log in through the edge" >&2; exit 1; }

if [ -z "$STATIC_PATH" ]; then
  STATIC_PATH=$(curl -sk -H "Cookie: session_id=$session" "$edge/web/login" | grep -o 'href="/web/assets/[^"]*\.css"' | head -1 | cut -d'"' -f2)
  [ -n "$STATIC_PATH" ] || { echo "the login page links no stylesheet bundle" >&2; exit 1; }
fi
node_ports=$(awk '/^http_port/ {print $3}' "$root"/run-*/odoo-*/odoo.conf)
assets_served() { # the stand-in's own count of /web/static/ and /web/assets/ requests, summed over the nodes
  local total=0 port n
  for port in $node_ports; do
    n=$(curl -sf "http://127.0.0.1:$port/odooaspire-stand-in/diagnostics" | grep -o '"asset_requests_served":[0-9]*' | cut -d: -f2)
    total=$((total + ${n:-0}))
  done
  echo "$total"
}
cache_status() { # the edge's cache status on a repeated GET of $2; $1 = extra curl arguments (unquoted on purpose)
  curl -sk $1 -o /dev/null "$2"
  curl -sk $1 -D - -o /dev/null "$2" | awk -F': ' 'tolower($1)=="x-cache-status" {print $2}' | tr -d '\r'
}

echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), wrk -t2 -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "static asset $STATIC_PATH: upstream answers $(curl -sk -o /dev/null -w '%{http_code}' -H "Cookie: session_id=$session" "$edge$STATIC_PATH")," \
  "edge cache status on a repeat: $(cache_status "-H Cookie:session_id=$session" "$edge$STATIC_PATH") with the session cookie;" \
  "$(cache_status "" "$edge$STATIC_PATH?uncached=$$") for a visitor without one on a URL not yet cached (the node answers with Set-Cookie)"
run() { # label url script
  local line before
  before=$(assets_served)
  line=$(SESSION="$session" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$3" "$2" | grep '^RESULT' | sed 's/^RESULT //')
  if [ "$3" = "$here/get.lua" ]; then
    line="$line reached_nodes=$(( $(assets_served) - before ))"
  fi
  printf '%-40s %s\n' "$1" "$line"
}
run "static, through the edge (https)" "$edge$STATIC_PATH" "$here/get.lua"
run "static, straight to the gateway (http)" "$direct$STATIC_PATH" "$here/get.lua"
run "json-rpc, through the edge (https)" "$edge/web/dataset/call_kw" "$here/jsonrpc.lua"
run "json-rpc, straight to the gateway (http)" "$direct/web/dataset/call_kw" "$here/jsonrpc.lua"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
