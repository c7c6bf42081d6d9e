#!/usr/bin/env bash
# The gateway benchmark: wrk sending Odoo's JSON-RPC search_read POSTs through OdooAspire.Gateway and through nginx
# configured as the seed does (round-robin upstream), over the same backends on loopback, in one run.
#  1. Throughput: three tiny fixed-body nodes (single-process nginx); req/s, p50/p99 and the CPU of each process.
#  2. Faults: three nodes that think 10 ms per request like a warm Odoo worker (slow_node.py); under load one
#     node is killed with SIGKILL (restarted 10 s later), then frozen with SIGSTOP for 20 s; failed requests,
#     longest stall and worst latency for each proxy.
#
#   bash bench/gateway/run.sh            # WARMUP=20 DURATION=10 CONNECTIONS=32 THREADS=2 by default
#
# Each proxy gets WARMUP seconds of the same load before it is measured: the gateway is a JIT-compiled .NET process
# whose hot path is recompiled (tiered compilation, PGO) during its first 10-15 s under load, and that compiling
# costs more CPU than the proxying itself. The throughput table measures the steady state; the warm-up's own CPU per
# request is printed beside it, so what a freshly started gateway costs stays visible.
#
# Needs nginx, wrk, python3 and the .NET SDK; starts everything it uses and stops it on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WARMUP=${WARMUP:-20}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
FAULT_DURATION=${FAULT_DURATION:-35}
FAULT_CONNECTIONS=${FAULT_CONNECTIONS:-8}
NODES=3

need() { command -v "$1" >/dev/null || { echo "$1 not found: $2" >&2; exit 2; }; }
need nginx "apt-get install nginx"
need wrk "apt-get install wrk"
need python3 "apt-get install python3"
need dotnet "install the .NET 10 SDK"

WORK=$(mktemp -d /tmp/odooaspire-gateway-bench.XXXXXX)
mkdir -p "$WORK/tmp"
declare -a NODE_PID NODE_PORT
LB_PID="" GW_PID=""

cleanup() {
    for pid in "${NODE_PID[@]:-}" "$LB_PID" "$GW_PID"; do
        [ -n "$pid" ] && { kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; }
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http() { # url [deadline seconds]
    for _ in $(seq 1 $((${2:-30} * 10))); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing answered at $1" >&2; exit 1
}

NODE_KIND=fixed
start_node() { # index; reuses the node's port when it restarts
    local i=$1 port=${NODE_PORT[$1]:-$(free_port)}
    NODE_PORT[$i]=$port
    if [ "$NODE_KIND" = fixed ]; then
        sed -e "s|@DIR@|$WORK|g" -e "s|@PORT@|$port|g" "$HERE/nginx-node.conf.template" > "$WORK/node-$i.conf"
        nginx -p "$WORK" -c "$WORK/node-$i.conf" &
    else
        python3 "$HERE/slow_node.py" "$port" 10 &
    fi
    NODE_PID[$i]=$!
    wait_http "http://127.0.0.1:$port/web/health"
}

start_nginx() { # keepalive|seed
    local port upstreams="" keepalive="" connection='""'
    port=$(free_port)
    for i in $(seq 1 $NODES); do upstreams+="        server 127.0.0.1:${NODE_PORT[$i]};"$'\n'; done
    if [ "$1" = keepalive ]; then keepalive="        keepalive 64;"; else connection="close"; fi
    awk -v dir="$WORK" -v port="$port" -v up="$upstreams" -v ka="$keepalive" -v conn="$connection" '
        { gsub("@DIR@", dir); gsub("@PORT@", port); gsub("@KEEPALIVE@", ka); gsub("@CONNECTION@", conn);
          if ($0 ~ /@UPSTREAMS@/) { printf "%s", up; next } print }' "$HERE/nginx-lb.conf.template" > "$WORK/lb.conf"
    nginx -p "$WORK" -c "$WORK/lb.conf" &
    LB_PID=$!
    LB_URL="http://127.0.0.1:$port"
    wait_http "$LB_URL/web/health"
}

stop_lb() { [ -n "$LB_PID" ] && kill "$LB_PID" && wait "$LB_PID" 2>/dev/null || true; LB_PID=""; }

GATEWAY_DLL="$ROOT/src/OdooAspire.Gateway/bin/Release/net10.0/OdooAspire.Gateway.dll"
start_gateway() {
    local port env=()
    port=$(free_port)
    for cluster in odoo-http odoo-websocket; do
        env+=("ReverseProxy__Routes__${cluster}__ClusterId=$cluster")
        for i in $(seq 1 $NODES); do
            env+=("ReverseProxy__Clusters__${cluster}__Destinations__odoo-${i}__Address=http://127.0.0.1:${NODE_PORT[$i]}")
        done
    done
    env+=("ReverseProxy__Routes__odoo-websocket__Match__Path=/websocket/{**rest}" "ReverseProxy__Routes__odoo-http__Match__Path=/{**path}")
    env ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production OTEL_EXPORTER_OTLP_ENDPOINT= \
        Logging__LogLevel__Default=Warning "${env[@]}" dotnet "$GATEWAY_DLL" > "$WORK/gateway.log" 2>&1 &
    GW_PID=$!
    GW_URL="http://127.0.0.1:$port"
    wait_http "$GW_URL/health"
    # Every node up on the status page before measuring.
    for _ in $(seq 1 100); do
        [ "$(curl -fsS -H 'Accept: application/json' "$GW_URL/gateway/status" | grep -o '"state":"up"' | wc -l)" -ge $((NODES * 2)) ] && return 0
        sleep 0.1
    done
    echo "gateway nodes not up" >&2; exit 1
}

stop_gateway() { [ -n "$GW_PID" ] && kill "$GW_PID" && wait "$GW_PID" 2>/dev/null || true; GW_PID=""; }

cpu_ticks() { # pid and its children, in clock ticks
    local total=0 pid
    for pid in "$@" $(for p in "$@"; do pgrep -P "$p" || true; done); do
        [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo $total
}

TICKS=$(getconf CLK_TCK)
declare -A RPS P99

field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<< "$2"; }

measure() { # name url proxy_pid
    local name=$1 url=$2 pid=$3 before nodes_before out result proxy_ticks warm warm_ticks
    before=$(cpu_ticks "$pid")
    warm=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/timeline.lua" "$url" | grep '^RESULT')
    warm_ticks=$(( $(cpu_ticks "$pid") - before ))
    before=$(cpu_ticks "$pid"); nodes_before=$(cpu_ticks "${NODE_PID[@]}")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$HERE/timeline.lua" "$url")
    result=$(grep '^RESULT' <<< "$out")
    proxy_ticks=$(( $(cpu_ticks "$pid") - before ))
    RPS[$name]=$(field rps "$result"); P99[$name]=$(field p99_ms "$result")
    # CPU per request compares proxies fairly on a shared machine, where req/s depends on what else runs.
    printf "%-22s %9s %8s %8s %8s %8s%% %8s%% %12s %14s\n" "$name" \
        "${RPS[$name]}" "$(field p50_ms "$result")" "${P99[$name]}" \
        "$(awk '{for(i=1;i<=NF;i++){split($i,kv,"="); if(kv[1]=="non2xx"||kv[1]=="socket_errors"||kv[1]=="timeouts") s+=kv[2]}} END{print s}' <<< "$result")" \
        "$(( proxy_ticks * 100 / TICKS / DURATION ))" \
        "$(( ( $(cpu_ticks "${NODE_PID[@]}") - nodes_before) * 100 / TICKS / DURATION ))" \
        "$(( proxy_ticks * 1000000 / TICKS / $(field requests "$result") ))" \
        "$(( warm_ticks * 1000000 / TICKS / $(field requests "$warm") ))"
}

echo "Building the gateway (Release)…"
dotnet build -c Release --nologo -v q "$ROOT/src/OdooAspire.Gateway" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

for i in $(seq 1 $NODES); do start_node "$i"; done

echo "Throughput: ${WARMUP} s warm-up, then ${DURATION} s measured per proxy (wrk -t${THREADS} -c${CONNECTIONS}, JSON-RPC search_read POSTs)."
printf "\n%-22s %9s %8s %8s %8s %9s %9s %12s %14s\n" "proxy" "req/s" "p50 ms" "p99 ms" "errors" "proxy CPU" "nodes CPU" "proxy us/req" "warm-up us/req"
measure "direct to one node" "http://127.0.0.1:${NODE_PORT[1]}" "${NODE_PID[1]}"

start_nginx seed;      measure "nginx (seed config)" "$LB_URL" "$LB_PID";      stop_lb
start_nginx keepalive; measure "nginx + keepalive"   "$LB_URL" "$LB_PID";      stop_lb
start_gateway;         measure "OdooAspire gateway"  "$GW_URL" "$GW_PID";      stop_gateway

awk -v g="${RPS[OdooAspire gateway]}" -v n="${RPS[nginx (seed config)]}" -v gp="${P99[OdooAspire gateway]}" -v np="${P99[nginx (seed config)]}" \
    'BEGIN { printf "\ngateway / nginx (seed config): req/s %.2fx, p99 %s ms vs %s ms (%s)\n", g / n, gp, np, (gp <= np ? "no worse" : "worse") }'

fault() { # name url signal
    local name=$1 url=$2 signal=$3 out
    wrk -t"$THREADS" -c"$FAULT_CONNECTIONS" -d"${FAULT_DURATION}s" --timeout 70s -s "$HERE/timeline.lua" "$url" > "$WORK/fault.out" &
    local wrk_pid=$!
    sleep 5
    if [ "$signal" = KILL ]; then
        kill -KILL "${NODE_PID[1]}"; wait "${NODE_PID[1]}" 2>/dev/null || true
        sleep 10
        start_node 1
    else
        kill -STOP "${NODE_PID[1]}"; sleep 20; kill -CONT "${NODE_PID[1]}"
    fi
    wait "$wrk_pid"
    printf "%-22s %-5s %s\n" "$name" "$signal" "$(grep '^RESULT' "$WORK/fault.out" | sed 's/^RESULT //')"
}

for i in $(seq 1 $NODES); do kill "${NODE_PID[$i]}"; wait "${NODE_PID[$i]}" 2>/dev/null || true; done
NODE_KIND=slow
for i in $(seq 1 $NODES); do start_node "$i"; done

echo
echo "Faults: ${FAULT_CONNECTIONS} clients, nodes think 10 ms; odoo-1 killed at 5 s (restarted 10 s later) or frozen from 5 s to 25 s;"
echo "${FAULT_DURATION} s of load, wrk timeout 70 s. failed = non-2xx answers + dropped connections."
start_nginx seed;      fault "nginx (seed config)" "$LB_URL" KILL; fault "nginx (seed config)" "$LB_URL" STOP; stop_lb
start_gateway;         fault "OdooAspire gateway"  "$GW_URL" KILL; fault "OdooAspire gateway"  "$GW_URL" STOP; stop_gateway
