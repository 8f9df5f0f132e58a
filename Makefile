# Entry points. The README's two commands are `make run` and `make test`.
# Each target delegates to a script in scripts/ so CI and humans run the same thing.
SHELL := /bin/bash
export GOFLAGS := -buildvcs=false

.PHONY: lib lib-test-abi header collector victoria run test bench fmt lint

lib:            ## Rust static library (target/release/libotelcol_genai.a)
	cargo build --release --lib --features mimalloc

lib-test-abi:   ## The library with the entry points only tests call, for the Go tests (tag genai_test_abi)
	cargo build --release --lib --features mimalloc,test-abi
	mkdir -p target/test-abi && cp target/release/libotelcol_genai.a target/test-abi/
	$(MAKE) lib

header:         ## Regenerate include/otelcol_genai.h from rust/ffi.rs
	GENAI_BLESS=1 cargo test --test header

collector: lib  ## The otelcol-genai distribution (build/otelcol-genai/otelcol-genai)
	scripts/build-collector.sh

victoria:       ## VictoriaMetrics + VictoriaLogs binaries from the Go module proxy
	scripts/install-victoria.sh

run: collector victoria ## VictoriaMetrics + VictoriaLogs + the collector, example pipeline
	scripts/run-stack.sh

test:           ## Every test: Rust, Go, end to end
	scripts/test.sh

bench:          ## Every benchmark in one run -> BENCHMARKS.md and bench/throughput.png
	scripts/bench.sh

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
