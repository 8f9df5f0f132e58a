#!/usr/bin/env bash
# One command for every performance measurement of issue #6, in one run:
#   1. criterion benches of the Rust core (benches/process.rs, benches/pricing.rs)
#   2. Go benchmarks of the full processor next to its floors and the pure-Go
#      contrib pipeline (go-shim/bench), with benchstat when it installs
#   3. a loopback load test of the real otelcol-genai binary (go-shim/bench/cmd/loadtest)
#   4. the RSS check over many FFI round trips (go-shim/bench/cmd/ffirss), and
#      the collector's peak RSS under 16 concurrent 19 MB legacy metric
#      batches, with and without genai (go-shim/bench/cmd/burst; build/bench/burst.jsonl)
#   5. a callgrind profile of the Rust core on workloads 1 and 2
#   6. the time per byte of the Rust core on issue 24's adversarial shapes at
#      1 KB, 1 MB and 16 MB (benches/adversarial.rs)
#   7. the genai connector against contrib's spanmetrics connector (same
#      dimensions, same GenAI spans) and a connector that drops plain spans,
#      per span and per active series (issue 26; go-shim/bench
#      BenchmarkConnector, go-shim/bench/cmd/seriesmem)
# then writes BENCHMARKS.md and bench/throughput.png (go-shim/bench/report/report.py).
#
# Knobs (environment): BENCH_COUNT (go -count, default 3), BENCH_ITERS (batches
# per Go benchmark run, default 100), BENCH_LOAD_SECONDS
# (per load-test configuration and round, default 8), BENCH_LOAD_ROUNDS
# (interleaved load-test rounds, default 3), BENCH_RSS_BATCHES (default
# 200000; the issue's check is 1000000), BENCH_SKIP (space-separated steps
# to skip: criterion go load rss burst profile adversarial connector),
# BENCH_CONNECTOR_TIME (go -benchtime of step 7, default 2s),
# BENCH_SERIES (attribute sets of step 7's memory check, default 10000),
# BENCH_REPORT_ONLY=1
# (rewrite the report from build/bench), BENCH_ADVERSARIAL_ONLY=1 (run step 6
# alone and rewrite only its section of BENCHMARKS.md, a few minutes).
# Nothing here asserts a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
ROOT=$PWD
OUT=$ROOT/build/bench
WORK=$OUT/workloads
COUNT=${BENCH_COUNT:-3}
ITERS=${BENCH_ITERS:-100} # batches per Go benchmark run (fixed: decoding each input is untimed)
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-8}
LOAD_ROUNDS=${BENCH_LOAD_ROUNDS:-3}
RSS_BATCHES=${BENCH_RSS_BATCHES:-200000}
CONNECTOR_TIME=${BENCH_CONNECTOR_TIME:-2s}
SERIES=${BENCH_SERIES:-10000}
PROFILE_ITERS=10 # batches profiled after one warm-up call (report.py divides by 11)
SKIP=" ${BENCH_SKIP:-} "
mkdir -p "$OUT"

step() { printf '\n==> %s\n' "$*"; }
skipped() { [[ $SKIP == *" $1 "* ]]; }
commands=()
run() { commands+=("$*"); "$@"; }

# machine.json: machine facts, commands, and per step its start time, load
# average and commit. A full run starts it afresh; a run with BENCH_SKIP
# keeps the skipped steps' records, so a partial rerun on a quieter machine
# reports each step with its own time and load.
machine() { # $1: start | end | step:NAME
  python3 - "$OUT/machine.json" "$1" "${SKIP// /}" "${commands[@]}" <<'PY'
import json, subprocess, sys, time
path, what, partial, cmds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
try:
    m = json.load(open(path))
except (OSError, ValueError):
    m = {}
sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
load = " ".join(open("/proc/loadavg").read().split()[:3])
now = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
git = sh("git rev-parse --short HEAD") + (" (dirty tree)" if sh("git status --porcelain --untracked-files=no") else "")
if what == "start":
    if not partial or not m:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
        mem = [l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")]
        m = {"date": now, "git": git, "nproc": sh("nproc"), "cpu": cpu[0] if cpu else "unknown",
             "memory": mem[0] if mem else "unknown", "loadavg_start": load,
             "go": sh("go version"), "rustc": sh("rustc --version"), "steps": {}, "commands": []}
    else:
        m.setdefault("reruns", []).append(f"{now}, load average {load}, {git}")
elif what == "end":
    m["loadavg_end"] = load
    m["commands"] = list(dict.fromkeys(m.get("commands", []) + cmds))
else:
    m.setdefault("steps", {})[what.split(":", 1)[1]] = {"started": now, "loadavg": load, "git": git}
json.dump(m, open(path, "w"), indent=2)
PY
}

venv() {
  local v=$ROOT/build/bench/venv
  if ! "$v/bin/python" -c 'import matplotlib' 2>/dev/null; then
    python3 -m venv "$v"
    "$v/bin/pip" install --quiet 'matplotlib==3.11.2'
  fi
  echo "$v/bin/python"
}

adversarial() {
  step "Rust core: time per byte on adversarial shapes (criterion)"
  machine step:adversarial
  run cargo bench --features mimalloc --bench adversarial
}

if [[ ${BENCH_ADVERSARIAL_ONLY:-} == 1 ]]; then
  adversarial
  python3 go-shim/bench/report/report.py --adversarial-only
  echo "bench: rewrote the adversarial-input section of BENCHMARKS.md"
  exit 0
fi

if [[ ${BENCH_REPORT_ONLY:-} != 1 ]]; then
  machine start
  rm -f "$OUT/ffirss-1M.json" # a separate 1M-batch run belongs to the report it was made for

  step "Rust library, reference workloads as .pb files, collector binary"
  run cargo build --release --lib --features mimalloc
  run env GENAI_BENCH_WORKLOADS="$WORK" cargo test --release --features mimalloc --test bench_workloads -- --ignored write_bench_workloads
  # Go does not hash the static library it links (see ffi.libraryDigest):
  # stamping its digest makes the Go benchmarks relink when it changed.
  digest=$(sha256sum target/release/libotelcol_genai.a | cut -d' ' -f1)
  export GOFLAGS="$GOFLAGS -ldflags=-X=github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi.libraryDigest=sha256:$digest"
  bin=build/otelcol-genai/otelcol-genai
  if [[ ! -x $bin || target/release/libotelcol_genai.a -nt $bin ]]; then
    run scripts/build-collector.sh
  fi

  if ! skipped criterion; then
    step "Rust core: criterion"
    machine step:criterion
    run cargo bench --features mimalloc --bench process --bench pricing -- --warm-up-time 1 --measurement-time 3
  fi

  if ! skipped go; then
    step "Go: full processor benchmarks (count $COUNT)"
    machine step:go
    # go-shim/bench is a module of its own: from go-shim/, go.work resolves
    # ./bench/ and ./bench/cmd/* into it (here and in the steps below).
    commands+=("(cd go-shim && go test -run '^\$' -bench BenchmarkProcessor -benchmem -benchtime ${ITERS}x -count $COUNT ./bench/)")
    (cd go-shim && go test -run '^$' -bench BenchmarkProcessor -benchmem -benchtime "${ITERS}x" -count "$COUNT" -timeout 60m ./bench/) | tee "$OUT/go-bench.txt"
    benchstat=$(go env GOPATH)/bin/benchstat
    if [[ ! -x $benchstat ]]; then
      (cd /tmp && GOFLAGS= go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da) || true
    fi
    if [[ -x $benchstat ]]; then
      "$benchstat" "$OUT/go-bench.txt" > "$OUT/benchstat.txt" || true
    else
      : > "$OUT/benchstat.txt"
    fi
  fi

  if ! skipped connector; then
    step "Connector: genai vs spanmetrics vs a dropping connector (count $COUNT), memory per series"
    machine step:connector
    commands+=("(cd go-shim && go test -run '^\$' -bench BenchmarkConnector -benchmem -benchtime $CONNECTOR_TIME -count $COUNT ./bench/)")
    (cd go-shim && go test -run '^$' -bench BenchmarkConnector -benchmem -benchtime "$CONNECTOR_TIME" -count "$COUNT" -timeout 60m ./bench/) | tee "$OUT/connector-bench.txt"
    # One connector per process and run, alternating, so that neither's
    # freed memory counts for the other.
    : > "$OUT/seriesmem.jsonl"
    commands+=("(cd go-shim && go run ./bench/cmd/seriesmem -connector genai|spanmetrics -series $SERIES)")
    for _ in $(seq "$COUNT"); do
      for c in genai spanmetrics; do
        (cd go-shim && go run ./bench/cmd/seriesmem -connector "$c" -series "$SERIES") | tee -a "$OUT/seriesmem.jsonl"
      done
    done
  fi

  if ! skipped load; then
    step "Load test: otelcol-genai on loopback, ${LOAD_ROUNDS} rounds of ${LOAD_SECONDS}s per configuration"
    machine step:load
    : > "$OUT/loadtest.jsonl"
    commands+=("(cd go-shim && go run ./bench/cmd/loadtest -duration ${LOAD_SECONDS}s -rounds $LOAD_ROUNDS -out build/bench/loadtest.jsonl)")
    (cd go-shim && go run ./bench/cmd/loadtest -duration "${LOAD_SECONDS}s" -rounds "$LOAD_ROUNDS" -out "$OUT/loadtest.jsonl")
  fi

  if ! skipped rss; then
    step "RSS over $RSS_BATCHES FFI round trips"
    machine step:rss
    commands+=("(cd go-shim && go run ./bench/cmd/ffirss -batches $RSS_BATCHES)")
    (cd go-shim && go run ./bench/cmd/ffirss -batches "$RSS_BATCHES") | tee "$OUT/ffirss.json"
  fi

  if ! skipped burst; then
    step "Burst: 16 concurrent 19 MB legacy metric batches, collector VmHWM with and without genai"
    machine step:burst
    : > "$OUT/burst.jsonl"
    commands+=("(cd go-shim && go run ./bench/cmd/burst -out build/bench/burst.jsonl)")
    (cd go-shim && go run ./bench/cmd/burst -out "$OUT/burst.jsonl")
  fi

  if ! skipped profile; then
    step "Profile of the Rust core (callgrind; perf counters are not available in this VM)"
    machine step:profile
    set +o pipefail # head and grep below close their pipes early
    driver=$(cargo test --release --features mimalloc --test bench_workloads --no-run 2>&1 | grep -o 'target/release/deps/bench_workloads-[a-z0-9]*' | head -1)
    for wl in genai_metrics genai_spans; do
      run env GENAI_PROFILE_WORKLOAD=$wl GENAI_PROFILE_ITERS=$PROFILE_ITERS valgrind --tool=callgrind \
        --callgrind-out-file="$OUT/callgrind.$wl.out" --collect-atstart=no '--toggle-collect=*Processor::process' \
        "$driver" --ignored --exact profile_driver > "$OUT/valgrind.$wl.log" 2>&1
      # Self and inclusive instruction counts per function, paths shortened;
      # report.py turns them into the breakdown in BENCHMARKS.md.
      clean='s#/root/.cargo/registry/src/[^/]+/##; s#/rustc/[0-9a-f]+/##; s# \[[^]]*\]$##'
      callgrind_annotate --threshold=100 "$OUT/callgrind.$wl.out" | sed -E "$clean" > "$OUT/profile-$wl.self.txt"
      callgrind_annotate --inclusive=yes --threshold=100 "$OUT/callgrind.$wl.out" | sed -E "$clean" > "$OUT/profile-$wl.inclusive.txt"
    done
    set -o pipefail
  fi

  if ! skipped adversarial; then
    adversarial
  fi
  machine end
fi

step "Report: BENCHMARKS.md and bench/throughput.png"
py=$(venv)
"$py" go-shim/bench/report/report.py
echo "bench: wrote BENCHMARKS.md and bench/throughput.png"
