#!/usr/bin/env bash
# Fuzzes the C ABI (all three signals) and the configuration parser with
# cargo-fuzz (libFuzzer + AddressSanitizer), seeded with the reference
# workloads. Usage: scripts/fuzz.sh [runs-per-target]  (default 20000: the
# CI smoke run; the long run is e.g. scripts/fuzz.sh 10000000).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain take them.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20000}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
GENAI_FUZZ_SEEDS="$PWD/fuzz/corpus/process" cargo test -q --test workloads -- --ignored write_fuzz_seeds
mkdir -p fuzz/corpus/config && printf '{}' > fuzz/corpus/config/empty \
  && printf '{"normalize":{"overwrite":true},"cost":{"enabled":false}}' > fuzz/corpus/config/some
for target in process config; do
  echo "==> fuzz $target: $runs runs"
  log="fuzz/$target.log"
  if ! cargo fuzz run "$target" -- -runs="$runs" -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $target failed; the crashing input is under fuzz/artifacts/$target" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$log"
done
