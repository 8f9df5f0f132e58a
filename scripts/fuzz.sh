#!/usr/bin/env bash
# Fuzzes with cargo-fuzz (libFuzzer + AddressSanitizer): the C ABI on raw
# bytes seeded with valid batches of all three signals (process), the
# processor on valid GenAI batches built from the input (process_structured),
# the fast paths (prefilter, wire walk) against the prost reference (fast_path_diff),
# the genai connector on raw span batches then a flush, its span reader against prost (span_metrics),
# the configuration parser and the three pricing-file parsers, seeded with
# the pricing fixtures.
# Usage: scripts/fuzz.sh [runs-per-target [max-seconds-per-target [targets...]]]
#   scripts/fuzz.sh                       the CI smoke run (20000 runs each)
#   nice -n 19 scripts/fuzz.sh 10000000 1800   the long run (RELIABILITY.md)
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain take them.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20000}"
secs="${2:-0}"
shift $(($# < 2 ? $# : 2))
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(process process_structured fast_path_diff span_metrics config pricing_openlit pricing_litellm pricing_yaml)
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Seeds: valid batches of every signal (so mutations start from real OTLP),
# small configurations, and every pricing fixture (valid and broken).
GENAI_FUZZ_SEEDS="$PWD/fuzz/corpus/process" cargo test -q --test workloads -- --ignored write_fuzz_seeds
mkdir -p fuzz/corpus/{process_structured,fast_path_diff,span_metrics,config,pricing_openlit,pricing_litellm,pricing_yaml}
cp -f fuzz/corpus/process/{genai,plain}_{spans,metrics,logs} fuzz/corpus/fast_path_diff/
cp -f fuzz/corpus/process/{genai,plain}_spans fuzz/corpus/span_metrics/
for f in tests/fixtures/captured/*/traces.pb; do
  cp -f "$f" "fuzz/corpus/span_metrics/$(basename "$(dirname "$f")")"
done
printf '{}' > fuzz/corpus/config/empty
printf '{"normalize":{"overwrite":true},"cost":{"enabled":false}}' > fuzz/corpus/config/some
printf '{"cost":{"models":[{"model":"m","input":1,"output":2}]}}' > fuzz/corpus/config/models
fx=tests/fixtures/pricing
cp -f "$fx"/openlit*.json fuzz/corpus/pricing_openlit/
cp -f "$fx"/litellm*.json fuzz/corpus/pricing_litellm/
head -n 200 rust/pricing/data/litellm_prices.jsonl > fuzz/corpus/pricing_litellm/builtin-head.jsonl
cp -f "$fx"/*.yaml fuzz/corpus/pricing_yaml/

for target in "${targets[@]}"; do
  echo "==> fuzz $target: $runs runs$([[ $secs == 0 ]] || echo " or $secs s")"
  log="fuzz/$target.log"
  if ! cargo fuzz run "$target" -- -runs="$runs" -max_total_time="$secs" -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $target failed; the crashing input is under fuzz/artifacts/$target" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$log"
done
