#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find:
# Rust (lint, unit, integration), the Go component, then end to end with the
# real collector binary, VictoriaMetrics, VictoriaLogs and real
# instrumentation libraries. Installs what it needs; safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

step() { printf '\n==> %s\n' "$*"; }

step "Rust: format and lints"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --lib --features mimalloc -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib

step "Rust: unit and integration tests"
cargo test --all-targets

step "Python: the pricing-table refresh's own tests (no network)"
python3 scripts/gen_pricing.py --self-test

step "Build the collector distribution"
make collector

step "Go: vet and race-enabled tests of the genai component and the benchmarks"
# One Go module each (go-shim/go.work ties them); ./... stops at a module's
# edge, so each is vetted and tested from its own directory. The e2e module
# is built only with the e2e tag, below. The component's tests link the
# core with its test-only whole-batch calls (tag genai_test_abi), the
# oracle they hold Go's edits against; it is vetted as the collector builds
# it too.
make lib-test-abi
(cd go-shim && go vet ./... && go vet -tags genai_test_abi ./... && go test -tags genai_test_abi -race -count=1 ./...)
(cd go-shim/bench && go vet ./... && go test -race -count=1 ./...)

step "VictoriaMetrics and VictoriaLogs from the Go module proxy"
make victoria

step "Python venvs of the real instrumentation libraries (PyPI)"
# before the Go end-to-end step: its TestRealInstrumentationOnDashboard runs them
scripts/setup-pyenv.sh >/dev/null

step "End to end: the otelcol-genai binary, VictoriaMetrics, VictoriaLogs"
(cd go-shim/e2e && go test -tags e2e -count=1 -timeout 30m ./...)

if [[ -x scripts/realinstr-test.sh ]]; then
  step "End to end: real instrumentation libraries from PyPI"
  scripts/realinstr-test.sh
fi

step "Rust tests under AddressSanitizer and LeakSanitizer"
scripts/asan.sh

step "Fuzz smoke run: C ABI, structured batches, configuration and pricing parsers (libFuzzer + ASan)"
scripts/fuzz.sh 20000

step "All tests passed"
