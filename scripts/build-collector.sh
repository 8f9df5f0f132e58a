#!/usr/bin/env bash
# Builds the otelcol-genai distribution (build/otelcol-genai/otelcol-genai)
# with the OpenTelemetry Collector Builder from go-shim/distribution/manifest.yaml.
# Needs target/release/libotelcol_genai.a first (`make lib`; `make collector`
# does both). Go's module and build caches are reused between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILDER_VERSION=0.161.0
LIB=target/release/libotelcol_genai.a
MANIFEST=go-shim/distribution/manifest.yaml

if [[ ! -f $LIB ]]; then
  echo "build-collector: $LIB is missing: run \`make lib\` first" >&2
  exit 1
fi

builder=${OCB:-$(go env GOPATH)/bin/builder}
if ! "$builder" version 2>&1 | grep -q "$BUILDER_VERSION"; then
  echo "build-collector: installing OCB v$BUILDER_VERSION"
  GOBIN=$(dirname "$builder") go install "go.opentelemetry.io/collector/cmd/builder@v$BUILDER_VERSION"
fi

# VCS stamping is off: build/otelcol-genai is a generated module inside
# the repository, and CI may run from a copy without .git.
case " ${GOFLAGS:-} " in *" -buildvcs=false "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" ;; esac
export CGO_ENABLED=1
# The generated module resolves the genai component through the manifest's
# replaces alone, never through go-shim/go.work (the workspace of the
# component, e2e and bench modules) or a GOWORK from the environment.
export GOWORK=off

# Go does not hash the static library named in #cgo LDFLAGS: without this
# stamp, a rebuilt Rust core would leave `go build` believing the binary is
# up to date. The digest is also what the processor logs at start.
digest=$(sha256sum "$LIB" | cut -d' ' -f1)
ldflags="-s -w -X github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi.libraryDigest=sha256:$digest"

# OCB creates output_path itself but not its parent (absent in a fresh clone).
mkdir -p build
start=$(date +%s)
"$builder" --config="$MANIFEST" --ldflags="$ldflags"
bin=build/otelcol-genai/otelcol-genai
echo "build-collector: built $bin ($(du -h "$bin" | cut -f1)) in $(( $(date +%s) - start ))s"
