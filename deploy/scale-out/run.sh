#!/usr/bin/env bash
# Scale-out run on one machine: Apache Kafka (one KRaft node from the jars the build resolves), PostgreSQL 15
# (.ci/postgres15) and two carbonledger instances (`./carbonledger serve`, Kafka transport, one consumer group).
# Drives telemetry through both instances, prints the partitions each instance holds, then checks that every
# acknowledged request is stored exactly once with exactly one emission record. Exits non-zero on any mismatch.
#
#   deploy/scale-out/run.sh [BATCHES] [BATCH_SIZE]      (defaults: 60 batches of 100 requests)
#
# Environment (optional): SCALE_OUT_PARTITIONS (default 6),
# SCALE_OUT_PORTS (default "18081 18082"), SCALE_OUT_KEEP=1 keeps the work directory.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
BATCHES=${1:-60}
BATCH_SIZE=${2:-100}
PARTITIONS=${SCALE_OUT_PARTITIONS:-6}
read -r -a PORTS <<< "${SCALE_OUT_PORTS:-18081 18082}"
OPERATOR_KEY="scale-out-operator-key-$RANDOM$RANDOM"
TOPIC=carbonledger.telemetry.requests
GROUP=carbonledger-telemetry
WORK=$(mktemp -d "${TMPDIR:-/tmp}/carbonledger-scale-out.XXXXXX")
PIDS=()
PG_STARTED=false

log() { printf '[scale-out] %s\n' "$*"; }
fail() { printf '[scale-out] FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local rc=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if $PG_STARTED; then
        if [[ $(id -u) -eq 0 ]]; then
            runuser -u postgres -- "$PG15_PGCTL" -D "$PG15_DATA" stop -m fast >/dev/null || true
        else
            "$PG15_PGCTL" -D "$PG15_DATA" stop -m fast >/dev/null || true
        fi
        rm -rf "$PG15_BASE"
    fi
    if [[ $rc -ne 0 ]]; then
        for f in "$WORK"/*.log; do
            [[ -e $f ]] || continue
            printf '\n----- last lines of %s\n' "$f" >&2
            tail -n 30 "$f" >&2
        done
    fi
    if [[ ${SCALE_OUT_KEEP:-} == 1 ]]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build: the application jar, and the test classpath for the broker ---------------------------------------------
log "building (jar and the Kafka broker's classpath)"
./mvnw -q -B -DskipTests package dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$WORK/classpath.txt" >"$WORK/build.log" 2>&1 || fail "build failed (see $WORK/build.log)"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

# --- PostgreSQL 15 ----------------------------------------------------------------------------------------------------
log "starting PostgreSQL 15"
eval "$(.ci/postgres15 2>"$WORK/postgres.log")"
PG_STARTED=true
psql_q() {
    PGPASSWORD=$CARBONLEDGER_DB_PASSWORD "$PG15_PSQL" -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG15_PORT" \
        -U "$CARBONLEDGER_DB_USER" -d "${CARBONLEDGER_DB_URL##*/}" -c "$1"
}

# --- Kafka (KRaft) ----------------------------------------------------------------------------------------------------
log "starting Kafka (KRaft, one node)"
"$JAVA" -Xmx512m -cp "$ROOT/target/test-classes:$(cat "$WORK/classpath.txt")" org.carbonledger.scaleout.KraftBroker \
    "$WORK/kafka.ready" >"$WORK/kafka.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
    [[ -s $WORK/kafka.ready ]] && break
    kill -0 "${PIDS[0]}" 2>/dev/null || fail "the Kafka broker exited"
    sleep 0.2
done
[[ -s $WORK/kafka.ready ]] || fail "the Kafka broker did not start"
BOOTSTRAP=$(head -n1 "$WORK/kafka.ready")
log "Kafka at $BOOTSTRAP"

# --- two application instances ---------------------------------------------------------------------------------------
start_instance() { # NAME PORT
    mkdir -p "$WORK/$1"
    CARBONLEDGER_PORT=$2 CARBONLEDGER_DATA_DIR="$WORK/$1" CARBONLEDGER_ADMIN_KEY=$OPERATOR_KEY \
    CARBONLEDGER_INGEST_TRANSPORT=kafka CARBONLEDGER_KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP \
    CARBONLEDGER_KAFKA_PARTITIONS=$PARTITIONS CARBONLEDGER_INSTANCE_NAME=$1 \
    CARBONLEDGER_JAVA_OPTS="-Xmx384m -XX:TieredStopAtLevel=1" \
        ./carbonledger serve --logging.level.root=WARN >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
}
log "starting two instances on ports ${PORTS[0]} and ${PORTS[1]} (same database, topic and consumer group)"
start_instance instance-a "${PORTS[0]}"
start_instance instance-b "${PORTS[1]}"
for port in "${PORTS[@]}"; do
    for _ in $(seq 1 450); do
        curl -fsS "http://localhost:$port/actuator/health" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fsS "http://localhost:$port/actuator/health" >/dev/null || fail "the instance on port $port did not start"
done

partitions_of() { # PORT -> the partitions the instance holds, one per line
    curl -fsS -H "Authorization: Bearer $OPERATOR_KEY" "http://localhost:$1/v1/operator/telemetry/transport" \
        | jq -r '.assignedPartitions[]'
}

log "waiting for the consumer group to split the $PARTITIONS partitions"
split=false
for _ in $(seq 1 300); do
    a=$(partitions_of "${PORTS[0]}" | wc -l)
    b=$(partitions_of "${PORTS[1]}" | wc -l)
    if ((a > 0 && b > 0 && a + b == PARTITIONS)); then
        split=true
        break
    fi
    sleep 0.2
done
$split || fail "the partitions were not split between the instances (instance-a: $a, instance-b: $b)"
for i in 0 1; do
    printf '[scale-out] instance-%s (port %s) holds: %s\n' "$([[ $i == 0 ]] && echo a || echo b)" "${PORTS[$i]}" \
        "$(partitions_of "${PORTS[$i]}" | tr '\n' ' ')"
done
overlap=$(sort <(partitions_of "${PORTS[0]}") <(partitions_of "${PORTS[1]}") | uniq -d | wc -l)
((overlap == 0)) || fail "a partition is held by both instances"

# --- a tenant, workloads, load through both instances ----------------------------------------------------------------
api() { # METHOD PORT PATH KEY [BODY]
    curl -fsS -X "$1" -H "Authorization: Bearer $4" -H 'Content-Type: application/json' \
        "http://localhost:$2$3" ${5:+--data-binary "$5"}
}
TENANT_JSON=$(api POST "${PORTS[0]}" /v1/tenants "$OPERATOR_KEY" "{\"name\":\"scale-out-$RANDOM\",\"pricePerTonne\":100}")
TENANT_ID=$(jq -r .id <<<"$TENANT_JSON")
KEY=$(jq -r .apiKey <<<"$TENANT_JSON")
WORKLOADS=()
for w in $(seq 1 12); do
    WORKLOADS+=("$(api POST "${PORTS[$((w % 2))]}" /v1/workloads "$KEY" "{\"name\":\"w$w\",\"model\":\"meta-llama/Meta-Llama-3.1-8B-Instruct\",\"gpuModel\":\"H100\",\"gpuCount\":1,\"region\":\"us-east-1\"}" | jq -r .id)")
done
sleep 2 # the requests start 1 s before they end, after the workloads were registered

log "driving $BATCHES batches of $BATCH_SIZE requests, alternating between the instances"
ENDED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
STARTED=$(date -u -d "@$(($(date +%s) - 1))" +%Y-%m-%dT%H:%M:%SZ)
: >"$WORK/acknowledged.txt"
t0=$(date +%s.%N)
for b in $(seq 0 $((BATCHES - 1))); do
    body=$(jq -nc --argjson b "$b" --argjson n "$BATCH_SIZE" --arg s "$STARTED" --arg e "$ENDED" \
        --argjson w "$(printf '%s\n' "${WORKLOADS[@]}" | jq -R . | jq -sc .)" \
        '{requests: [range(0; $n) as $i | {requestId: "so-\($b)-\($i)", workloadId: $w[($b + $i) % ($w | length)],
          inputTokens: (100 + $i), outputTokens: 50, startedAt: $s, endedAt: $e}]}')
    port=${PORTS[$((b % 2))]}
    response=$(api POST "$port" /v1/telemetry/requests "$KEY" "$body") || fail "batch $b through port $port failed"
    jq -r '.items[] | select(.status == "ACCEPTED" or .status == "DUPLICATE") | .requestId' <<<"$response" \
        >>"$WORK/acknowledged.txt"
    if (((b + 1) % 20 == 0)); then
        # a client replays a batch it is unsure of, through the other instance: it counts once
        api POST "${PORTS[$(((b + 1) % 2))]}" /v1/telemetry/requests "$KEY" "$body" >/dev/null \
            || fail "replay of batch $b failed"
    fi
done
t1=$(date +%s.%N)
ACKED=$(sort -u "$WORK/acknowledged.txt" | wc -l)
EXPECTED=$((BATCHES * BATCH_SIZE))
log "acknowledged $ACKED distinct requests in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
((ACKED == EXPECTED)) || fail "acknowledged $ACKED of $EXPECTED requests"

# --- exactly once -----------------------------------------------------------------------------------------------------
log "waiting for the consumers to store everything"
stored=0
for _ in $(seq 1 600); do
    stored=$(psql_q "select count(*) from inference_requests where tenant_id = '$TENANT_ID'")
    ((stored >= EXPECTED)) && break
    sleep 0.2
done
sleep 1 # anything still in flight would now show up as a surplus
read -r rows distinct emissions requests_with_one <<<"$(psql_q "
    select count(*), count(distinct r.request_id),
           (select count(*) from emission_records e join inference_requests q on q.id = e.inference_request_id
             where q.tenant_id = '$TENANT_ID'),
           (select count(*) from (select e.inference_request_id from emission_records e
                                    join inference_requests q on q.id = e.inference_request_id
                                   where q.tenant_id = '$TENANT_ID' group by 1 having count(*) = 1) x)
      from inference_requests r where r.tenant_id = '$TENANT_ID'" | tr '|' ' ')"
printf '[scale-out] %-44s %s\n' "requests acknowledged (distinct request ids)" "$ACKED" \
    "rows in inference_requests" "$rows" "distinct request ids stored" "$distinct" \
    "emission records" "$emissions" "requests with exactly one emission record" "$requests_with_one"
psql_q "select request_id from inference_requests where tenant_id = '$TENANT_ID'" | sort >"$WORK/stored.txt"
sort -u "$WORK/acknowledged.txt" >"$WORK/acknowledged.sorted"
missing=$(comm -23 "$WORK/acknowledged.sorted" "$WORK/stored.txt" | wc -l)
extra=$(comm -13 "$WORK/acknowledged.sorted" "$WORK/stored.txt" | wc -l)
printf '[scale-out] %-44s %s\n' "acknowledged but not stored" "$missing" "stored but never acknowledged" "$extra"
for i in 0 1; do
    printf '[scale-out] instance-%s holds at the end: %s\n' "$([[ $i == 0 ]] && echo a || echo b)" \
        "$(partitions_of "${PORTS[$i]}" | tr '\n' ' ')"
done
if ((rows == EXPECTED && distinct == EXPECTED && emissions == EXPECTED && requests_with_one == EXPECTED \
        && missing == 0 && extra == 0)); then
    log "PASSED: two instances, $PARTITIONS partitions split between them, every acknowledged request stored exactly once"
else
    fail "exactly-once check failed"
fi
