#!/usr/bin/env bash
# Builds VictoriaMetrics and VictoriaLogs from the Go module proxy with
# `go install` into a per-machine cache, once per version.
#
#   scripts/install-victoria.sh          # builds if needed; prints the bin dir
#
# The only line on stdout is the directory holding victoria-metrics and
# victoria-logs (progress goes to stderr), so callers can do
#   bin=$(scripts/install-victoria.sh)
#
# Environment:
#   VICTORIA_BIN_DIR          where the binaries go
#                             (default ${XDG_CACHE_HOME:-~/.cache}/otelcol-genai/bin)
#   VICTORIAMETRICS_VERSION   default v1.151.0
#   VICTORIALOGS_VERSION      default v1.52.1
set -euo pipefail

VM_VERSION=${VICTORIAMETRICS_VERSION:-v1.151.0}
VL_VERSION=${VICTORIALOGS_VERSION:-v1.52.1}
BIN_DIR=${VICTORIA_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otelcol-genai/bin}

log() { echo "install-victoria: $*" >&2; }

command -v go >/dev/null || { log "go is required (https://go.dev/dl/)"; exit 1; }
mkdir -p "$BIN_DIR"

# installed BINARY MODULE VERSION: whether BIN_DIR/BINARY was built from
# MODULE at VERSION (read from the build info Go embeds in every binary).
installed() {
    local bin=$BIN_DIR/$1
    [[ -x $bin ]] || return 1
    go version -m "$bin" 2>/dev/null |
        awk -v m="$2" -v v="$3" '$1 == "mod" && $2 == m && $3 == v { ok = 1 } END { exit !ok }'
}

# build BINARY MODULE PACKAGE VERSION
build() {
    if installed "$1" "$2" "$4"; then
        log "$1 $4 already built in $BIN_DIR"
        return
    fi
    log "building $1 $4 (go install $3@$4) ..."
    # CGO off: static binaries, no C toolchain needed. The caller's GOFLAGS
    # (e.g. -buildvcs=false from the Makefile) are for this repository's
    # builds, not for a module installed by version.
    CGO_ENABLED=0 GOBIN="$BIN_DIR" GOFLAGS= go install "$3@$4"
    installed "$1" "$2" "$4" || { log "$1 was built but does not report $2 $4"; exit 1; }
}

build victoria-metrics github.com/VictoriaMetrics/VictoriaMetrics \
    github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics "$VM_VERSION"
build victoria-logs github.com/VictoriaMetrics/VictoriaLogs \
    github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs "$VL_VERSION"

echo "$BIN_DIR"
