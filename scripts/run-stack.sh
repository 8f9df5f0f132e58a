#!/usr/bin/env bash
# The local stack: VictoriaMetrics + VictoriaLogs + otelcol-genai with
# examples/otelcol-genai.yaml, all on 127.0.0.1, data in temporary
# directories. Ctrl-C stops everything and removes the data.
#
#   make run            # builds what is missing, then runs this script
#
# Environment (defaults in brackets):
#   VM_PORT [8428]  VL_PORT [9428]  OTLP_GRPC_PORT [4317]  OTLP_HTTP_PORT [4318]
#   VM_FLAGS        extra VictoriaMetrics flags, e.g. -opentelemetry.usePrometheusNaming
#   COLLECTOR_CONFIG [examples/otelcol-genai.yaml]
#   KEEP_DATA=1     keep the data directories on exit (their path is printed)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VM_PORT=${VM_PORT:-8428}
VL_PORT=${VL_PORT:-9428}
OTLP_GRPC_PORT=${OTLP_GRPC_PORT:-4317}
OTLP_HTTP_PORT=${OTLP_HTTP_PORT:-4318}
COLLECTOR=${OTELCOL_GENAI_BIN:-$ROOT/build/otelcol-genai/otelcol-genai}
CONFIG=${COLLECTOR_CONFIG:-$ROOT/examples/otelcol-genai.yaml}

log() { echo "run-stack: $*" >&2; }

[[ -x $COLLECTOR ]] || { log "$COLLECTOR not found: run 'make collector' (or 'make run')"; exit 1; }
BIN=$("$ROOT/scripts/install-victoria.sh")

DATA=$(mktemp -d "${TMPDIR:-/tmp}/otelcol-genai-stack.XXXXXX")
PIDS=()

stop() {
    trap - EXIT
    log "stopping ..."
    # Only the processes this script started, newest first.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill -TERM "${PIDS[i]}" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${KEEP_DATA:-} == 1 ]]; then
        log "data kept in $DATA"
    else
        rm -rf "$DATA"
    fi
    log "stopped"
}
# Ctrl-C reaches the three processes too (same process group); the script
# notes it, waits for them below and cleans up on exit.
INTERRUPTED=
trap 'INTERRUPTED=1' INT TERM
trap stop EXIT

# wait_http NAME URL: waits until URL answers 200 (the process may take a
# few seconds to open its storage), failing if it exits first.
wait_http() {
    local pid=$1 name=$2 url=$3
    for _ in $(seq 1 120); do
        if curl -fsS -o /dev/null "$url" 2>/dev/null; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { log "$name exited; see $DATA/$name.log"; tail -20 "$DATA/$name.log" >&2; exit 1; }
        sleep 0.5
    done
    log "$name did not become ready at $url; see $DATA/$name.log"
    exit 1
}

# shellcheck disable=SC2086 # VM_FLAGS is a list of flags
"$BIN/victoria-metrics" -httpListenAddr="127.0.0.1:$VM_PORT" \
    -storageDataPath="$DATA/victoria-metrics" -retentionPeriod=30d \
    ${VM_FLAGS:-} >"$DATA/victoria-metrics.log" 2>&1 &
PIDS+=($!)
wait_http $! victoria-metrics "http://127.0.0.1:$VM_PORT/health"

"$BIN/victoria-logs" -httpListenAddr="127.0.0.1:$VL_PORT" \
    -storageDataPath="$DATA/victoria-logs" >"$DATA/victoria-logs.log" 2>&1 &
PIDS+=($!)
wait_http $! victoria-logs "http://127.0.0.1:$VL_PORT/health"

OTLP_GRPC_ENDPOINT="127.0.0.1:$OTLP_GRPC_PORT" \
OTLP_HTTP_ENDPOINT="127.0.0.1:$OTLP_HTTP_PORT" \
VICTORIAMETRICS_OTLP_ENDPOINT="http://127.0.0.1:$VM_PORT/opentelemetry" \
VICTORIALOGS_OTLP_ENDPOINT="http://127.0.0.1:$VL_PORT/insert/opentelemetry" \
TRACES_FILE="$DATA/traces.jsonl" \
    "$COLLECTOR" --config="$CONFIG" >"$DATA/otelcol-genai.log" 2>&1 &
PIDS+=($!)
wait_http $! otelcol-genai "http://${HEALTH_CHECK_ENDPOINT:-127.0.0.1:13133}/"

cat >&2 <<EOF

  otelcol-genai is running. Send OTLP to
      grpc://127.0.0.1:$OTLP_GRPC_PORT   http://127.0.0.1:$OTLP_HTTP_PORT
  (e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP_HTTP_PORT for OpenLIT)

  Grafana data sources:
      VictoriaMetrics (Prometheus or VictoriaMetrics plugin)  http://127.0.0.1:$VM_PORT
      VictoriaLogs    (victoriametrics-logs-datasource)        http://127.0.0.1:$VL_PORT
  Dashboard: Dashboards -> New -> Import -> upload
      $ROOT/dashboards/genai-dashboard.json
  and pick the two data sources when asked.

  VictoriaMetrics UI: http://127.0.0.1:$VM_PORT/vmui   VictoriaLogs UI: http://127.0.0.1:$VL_PORT/select/vmui
  Traces: $DATA/traces.jsonl   Logs of the three processes: $DATA/*.log
  Ctrl-C stops everything.

EOF

# Returns when any of the three exits, or on Ctrl-C.
wait -n "${PIDS[@]}" || true
if [[ -z $INTERRUPTED ]]; then
    log "a process exited unexpectedly; keeping $DATA for its logs"
    KEEP_DATA=1
    exit 1
fi
