#!/usr/bin/env bash
# Ingest throughput of one instance: POST /v1/telemetry/requests with batches of BATCH requests from CLIENTS
# concurrent curl loops, against `java -jar target/carbonledger.jar serve` on a fresh embedded data directory.
#   scripts/bench-ingest.sh [SECONDS=30] [CLIENTS=4] [BATCH=100]
# Prints accepted requests per second; divide by the cores the server had to get the per-core figure.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30} clients=${2:-4} batch=${3:-100}
jar=target/carbonledger.jar
[[ -f $jar ]] || ./mvnw -q -B -DskipTests package
work=$(mktemp -d)
port=$(( (RANDOM % 2000) + 20600 ))
key=bench-operator-key-0123456789
CARBONLEDGER_ADMIN_KEY=$key CARBONLEDGER_PORT=$port CARBONLEDGER_DATA_DIR=$work/data \
    java -jar "$jar" serve >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 180); do curl -s "http://localhost:$port/actuator/health" | grep -q UP && break; sleep 1; done
base=http://localhost:$port
tenant_key=$(curl -s -X POST $base/v1/tenants -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"name":"bench","currency":"USD","pricePerTonne":150}' | sed 's/.*"apiKey":"\([^"]*\)".*/\1/')
wl=$(curl -s -X POST $base/v1/workloads -H "Authorization: Bearer $tenant_key" -H 'Content-Type: application/json' \
    -d '{"name":"chat","model":"meta-llama/Meta-Llama-3.1-405B-Instruct","gpuModel":"H100","gpuCount":4,
         "region":"us-east-1"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
client() {
    local c=$1 n=0 end=$((SECONDS + seconds)) body
    while ((SECONDS < end)); do
        body=$(printf '{"requests":['; for i in $(seq 1 "$batch"); do
            printf '%s{"requestId":"c%s-b%s-r%s","workloadId":"%s","inputTokens":812,"outputTokens":405,"startedAt":"2026-10-04T23:59:47Z","endedAt":"2026-10-04T23:59:50Z"}' \
                "$([[ $i -gt 1 ]] && echo ,)" "$c" "$n" "$i" "$wl"; done; printf ']}')
        curl -s -o /dev/null -w '%{http_code}\n' -X POST $base/v1/telemetry/requests \
            -H "Authorization: Bearer $tenant_key" -H 'Content-Type: application/json' -d "$body" >>"$work/codes.$c"
        n=$((n + 1))
    done
}
# warm-up, then the measured run
seconds=5 client w >/dev/null
start=$(date +%s.%N)
for c in $(seq 1 "$clients"); do client "$c" & done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
end=$(date +%s.%N)
ok=$(cat "$work"/codes.[0-9]* | grep -c '^20[01]$' || true)
bad=$(cat "$work"/codes.[0-9]* | grep -vc '^20[01]$' || true)
stored=$(( ok * batch ))
printf 'batches ok %s, failed %s; %s requests in %.1f s = %.0f requests/s (%s cores on this machine, %s clients, batch %s)\n' \
    "$ok" "$bad" "$stored" "$(echo "$end - $start" | bc)" "$(echo "$stored / ($end - $start)" | bc -l)" "$(nproc)" \
    "$clients" "$batch"
