#!/usr/bin/env bash
# The gateway topology of docs/deployment.md on loopback: VictoriaMetrics,
# VictoriaLogs, two otelcol-genai replicas (examples/gateway/replica.yaml)
# and the front collector (examples/gateway/front.yaml) whose loadbalancing
# exporters spread OTLP over the replicas. Data and logs in one temporary
# directory; Ctrl-C stops everything (newest first) and removes it.
#
#   make collector victoria && scripts/run-gateway.sh
#
# Environment (defaults in brackets):
#   FRONT_GRPC [127.0.0.1:4317]  FRONT_HTTP [127.0.0.1:4318]   where senders send OTLP
#   VM_PORT [8428]  VL_PORT [9428]
#   REPLICA_PORTS ["14317 14318 13134 8889  24317 24318 13135 8890"]: per replica
#       OTLP gRPC, OTLP HTTP, health_check and self-telemetry ports
#   GENAI_CONNECTOR_FLUSH_INTERVAL [15s]
#   KEEP_DATA=1     keep the data directory on exit (its path is printed)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COLLECTOR=${OTELCOL_GENAI_BIN:-$ROOT/build/otelcol-genai/otelcol-genai}
FRONT_GRPC=${FRONT_GRPC:-127.0.0.1:4317}
FRONT_HTTP=${FRONT_HTTP:-127.0.0.1:4318}
VM_PORT=${VM_PORT:-8428}
VL_PORT=${VL_PORT:-9428}
read -r -a PORTS <<<"${REPLICA_PORTS:-14317 14318 13134 8889 24317 24318 13135 8890}"
((${#PORTS[@]} == 8)) || { echo "run-gateway: REPLICA_PORTS needs 8 ports" >&2; exit 2; }

note() { echo "run-gateway: $*" >&2; }

[[ -x $COLLECTOR ]] || { note "no collector at $COLLECTOR: run 'make collector'"; exit 1; }
VICTORIA=$("$ROOT/scripts/install-victoria.sh")
RUN=$(mktemp -d "${TMPDIR:-/tmp}/otelcol-genai-gateway.XXXXXX")
STARTED=()  # pids, in start order
REPLICAS=() # the replicas' OTLP gRPC addresses

shutdown() {
    trap - EXIT
    local i
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        kill -TERM "${STARTED[i]}" 2>/dev/null || true
        wait "${STARTED[i]}" 2>/dev/null || true
    done
    if [[ ${KEEP_DATA:-} == 1 ]]; then note "data and logs kept in $RUN"; else rm -rf "$RUN"; fi
}
INTERRUPTED=
trap 'INTERRUPTED=1' INT TERM
trap shutdown EXIT

# launch NAME READY_URL COMMAND...: starts COMMAND (output in $RUN/NAME.log)
# and waits up to 60 s for READY_URL to answer 200.
launch() {
    local name=$1 ready=$2
    shift 2
    "$@" >"$RUN/$name.log" 2>&1 &
    STARTED+=($!)
    local pid=$! tries=0
    until curl -fsS -o /dev/null "$ready" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || ((++tries > 120)); then
            note "$name did not start ($ready); its log, $RUN/$name.log:"
            tail -20 "$RUN/$name.log" >&2
            KEEP_DATA=1
            exit 1
        fi
        sleep 0.5
    done
    note "$name ready"
}

launch victoria-metrics "http://127.0.0.1:$VM_PORT/health" \
    "$VICTORIA/victoria-metrics" -httpListenAddr="127.0.0.1:$VM_PORT" -storageDataPath="$RUN/victoria-metrics"
launch victoria-logs "http://127.0.0.1:$VL_PORT/health" \
    "$VICTORIA/victoria-logs" -httpListenAddr="127.0.0.1:$VL_PORT" -storageDataPath="$RUN/victoria-logs"

for r in 0 1; do
    name=replica-$((r + 1))
    grpc=127.0.0.1:${PORTS[r * 4]} http=127.0.0.1:${PORTS[r * 4 + 1]}
    health=127.0.0.1:${PORTS[r * 4 + 2]} telemetry=${PORTS[r * 4 + 3]}
    mkdir -p "$RUN/$name"
    REPLICAS+=("$grpc")
    launch "$name" "http://$health/" env \
        OTLP_GRPC_ENDPOINT="$grpc" OTLP_HTTP_ENDPOINT="$http" \
        HEALTH_CHECK_ENDPOINT="$health" OTELCOL_METRICS_PORT="$telemetry" \
        FILE_STORAGE_DIR="$RUN/$name" TRACES_FILE="$RUN/$name/traces.jsonl" \
        VICTORIAMETRICS_OTLP_ENDPOINT="http://127.0.0.1:$VM_PORT/opentelemetry" \
        VICTORIALOGS_OTLP_ENDPOINT="http://127.0.0.1:$VL_PORT/insert/opentelemetry" \
        "$COLLECTOR" --config="$ROOT/examples/gateway/replica.yaml"
done

launch front "http://${FRONT_HEALTH:-127.0.0.1:13133}/" env \
    OTLP_GRPC_ENDPOINT="$FRONT_GRPC" OTLP_HTTP_ENDPOINT="$FRONT_HTTP" \
    HEALTH_CHECK_ENDPOINT="${FRONT_HEALTH:-127.0.0.1:13133}" OTELCOL_METRICS_PORT="${FRONT_TELEMETRY_PORT:-8888}" \
    REPLICA_A="${REPLICAS[0]}" REPLICA_B="${REPLICAS[1]}" \
    "$COLLECTOR" --config="$ROOT/examples/gateway/front.yaml"

cat >&2 <<EOF

  The gateway is up. Send OTLP to the front collector:
      grpc://$FRONT_GRPC   http://$FRONT_HTTP
  which routes traces by trace ID, metrics by stream ID and logs by trace ID
  to the replicas ${REPLICAS[0]} and ${REPLICAS[1]}.

  VictoriaMetrics http://127.0.0.1:$VM_PORT (vmui: /vmui)   VictoriaLogs http://127.0.0.1:$VL_PORT
  Each replica's series: sum by (otelcol.instance.id) (gen_ai_client_operation_duration_seconds_count)
  Replicas' self-telemetry: curl 127.0.0.1:${PORTS[3]}/metrics, 127.0.0.1:${PORTS[7]}/metrics
  Logs, queues and traces files: $RUN
  Ctrl-C stops everything.

EOF

# Back here when a process exits, or on Ctrl-C.
wait -n "${STARTED[@]}" || true
[[ -n $INTERRUPTED ]] && exit 0
note "a process exited unexpectedly; its log and the data stay in $RUN"
KEEP_DATA=1
exit 1
