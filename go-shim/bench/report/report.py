#!/usr/bin/env python3
"""Writes BENCHMARKS.md and the throughput chart from one scripts/bench.sh run.

Inputs (all from the same run, in build/bench/): machine.json, go-bench.txt,
benchstat.txt (optional), loadtest.jsonl, ffirss.json, profile-*.txt,
connector-bench.txt and seriesmem.jsonl (the connector comparison), and
criterion's target/criterion/*/*/new/{estimates,benchmark}.json. Every ratio
compares measurements of that one run; nothing here is asserted in a test.
With --adversarial-only, only the adversarial-input section of the existing
BENCHMARKS.md is rewritten (scripts/bench.sh with BENCH_ADVERSARIAL_ONLY=1).
"""
import json
import os
import re
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "build", "bench")
CHART = os.path.join(ROOT, "bench", "throughput.png")
WORKLOADS = ["genai_metrics", "genai_spans", "genai_logs", "plain_spans", "plain_metrics", "plain_logs"]
# Criterion only: workloads 2 and 3 in pdata's field order, as a collector hands them over.
CORE_WORKLOADS = WORKLOADS[:3] + ["genai_spans_pdata", "genai_logs_pdata"] + WORKLOADS[3:]
ITEMS = 1000


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def criterion():
    """{(group, function): (median ns, input bytes)} from criterion's files."""
    base = os.path.join(ROOT, "target", "criterion")
    out = {}
    if not os.path.isdir(base):
        return out
    for group in os.listdir(base):
        gdir = os.path.join(base, group)
        for fn in os.listdir(gdir) if os.path.isdir(gdir) else []:
            est = load_json(os.path.join(gdir, fn, "new", "estimates.json"))
            meta = load_json(os.path.join(gdir, fn, "new", "benchmark.json"))
            if not est or not meta:
                continue
            tp = (meta.get("throughput") or {}).get("Bytes")
            out[(group, fn)] = (est["median"]["point_estimate"], tp)
    return out


def go_bench(path):
    """{(workload, config): [ns/op...]} and allocs from `go test -bench` output."""
    ns, allocs = {}, {}
    pat = re.compile(r"^BenchmarkProcessor/(\w+)/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op.*?(\d+) B/op\s+(\d+) allocs/op")
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return ns, allocs
    for line in lines:
        m = pat.match(line)
        if m:
            key = (m.group(1), m.group(2))
            ns.setdefault(key, []).append(float(m.group(3)))
            allocs[key] = (int(m.group(4)), int(m.group(5)))
    return ns, allocs


def med(xs):
    return statistics.median(xs) if xs else None


def fmt_rate(x):
    if x is None:
        return "n/a"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.2f} {unit}"
    return f"{x:.0f}"


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.2f}x"


def paired(load, wl, base, field):
    """genai's `field` over `base`'s, one ratio per load-test round that
    measured both (rows without a round are round 1)."""
    rows = {(r["pipeline"], r.get("round", 1)): r[field] for r in load if r["workload"] == wl}
    return [g / rows[base, rnd] for (p, rnd), g in sorted(rows.items())
            if p == "genai" and rows.get((base, rnd))]


def fmt_share(x):
    return "" if x is None else f"{x:.1%}".replace("%", " %")


def fmt_spread(ratios):
    """The median ratio, and with several the range (min-max)."""
    if not ratios:
        return "n/a"
    if len(ratios) == 1:
        return fmt_ratio(ratios[0])
    return f"{fmt_ratio(med(ratios))} ({min(ratios):.2f}-{max(ratios):.2f})"


def verdict(ok):
    return "n/a" if ok is None else ("**pass**" if ok else "**FAIL**")


PROFILE_CALLS = 11  # scripts/bench.sh: one warm-up call + PROFILE_ITERS=10

# Inclusive-cost categories of the breakdown: (label, regex on the function
# name); the first (largest) matching line of each is taken.
CATEGORIES = [
    ("reference walk + all stages (signals::*::process)", r"otelcol_genai::signals::\w+::process$"),
    ("wire walk + all stages (wire::span_log_walk)", r"otelcol_genai::wire::span_log_walk::walk$"),
    ("metric wire walk + all stages (metric_walk::edits)", r"otelcol_genai::wire::metric_walk::edits$"),
    ("metric edits applied to the input's bytes (apply_edits::apply)",
     r"otelcol_genai::wire::apply_edits::apply$"),
    ("normalization (Rules::apply)", r"otelcol_genai::normalize::apply::<impl [^>]*Rules>::apply$"),
    ("cost on spans/logs (Pricer::annotate)", r"otelcol_genai::pricing::annotate::<impl [^>]*Pricer>::annotate$"),
    ("pricing table lookup", r"otelcol_genai::pricing::table::Table::lookup$"),
    ("cost metric derivation", r"derive_cost_metrics$"),
    ("naming (Naming::apply)", r"otelcol_genai::naming::Naming::apply$"),
    ("naming's point labels (PointLabels::apply)", r"otelcol_genai::naming::points::PointLabels::apply$"),
    ("label names (sanitize::label_name)", r"otelcol_genai::naming::sanitize::label_name$"),
]
# prost's share is counted from self costs: inlining spreads its inclusive
# costs over many lines. Its functions and the generated message code.
PROST_FN = re.compile(r"^(<)?(prost::|opentelemetry_proto::)|drop_in_place<opentelemetry_proto")
WALKS = ("reference walk + all stages (signals::*::process)", "wire walk + all stages (wire::span_log_walk)",
         "metric wire walk + all stages (metric_walk::edits)")
APPLY = "metric edits applied to the input's bytes (apply_edits::apply)"
# Allocator entry points counted as "malloc/free themselves": glibc's, and
# mimalloc's (the collector build's allocator, feature `mimalloc`).
ALLOC_FNS = ("_int_malloc", "_int_free", "malloc", "free", "malloc_consolidate", "unlink_chunk.constprop.0",
             "realloc", "_int_realloc", "cfree")
ALLOC_PREFIXES = ("mi_", "_mi_")
LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(?:[^:]*:)?(.*)$")


def budget(ipb, measured):
    """The instructions per byte 1 GB/s allows at the instruction rate criterion measured."""
    if not measured or not measured[1]:
        return ""
    rate = ipb * measured[1] / (measured[0] / 1e9)  # instructions per second
    return (f"; at the {rate / 1e9:.1f} instructions/ns criterion's {measured[1] / (measured[0] / 1e9) / 1e6:.0f} MB/s "
            f"implies, 1 GB/s per core allows about {rate / 1e9:.0f} per byte")


def annotate_lines(path):
    try:
        text = open(path).read().splitlines()
    except OSError:
        return None, []
    total, rows = None, []
    for line in text:
        # The function table ends where callgrind_annotate's annotated
        # source listings begin (their lines carry counts too).
        if line.startswith("-- Auto-annotated source") or line.startswith("-- User-annotated source"):
            break
        m = LINE.match(line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in line:
            total = n
            continue
        # file:function; the function part is after the last ':' that
        # follows a path ('::' belongs to Rust paths).
        fn = re.sub(r"^.*?\.(rs|c|S|h):", "", line.strip().split(") ", 1)[1].strip())
        rows.append((n, fn))
    return total, rows


def profile(wl, crit):
    total, incl = annotate_lines(os.path.join(OUT, f"profile-{wl}.inclusive.txt"))
    _, self_rows = annotate_lines(os.path.join(OUT, f"profile-{wl}.self.txt"))
    if not total:
        return None
    nbytes = os.path.getsize(os.path.join(OUT, "workloads", f"{wl}_1000.pb"))
    per_batch = total / PROFILE_CALLS
    out = [f"### {wl}\n",
           f"callgrind, all stages on, {PROFILE_CALLS} calls of `Processor::process` on the 1,000-item "
           f"batch ({nbytes:,} bytes): {per_batch / 1e6:.1f} M instructions per batch, "
           f"**{per_batch / nbytes:.0f} instructions per input byte**{budget(per_batch / nbytes, crit.get((wl, 'all')))}.\n",
           "| part (inclusive) | share of instructions |", "|---|---|"]
    for label, pat in CATEGORIES:
        hit = next((n for n, fn in incl if re.search(pat, fn)), None)
        if hit:
            out.append(f"| {label} | {hit / total:.1%} |")
    alloc = sum(n for n, fn in self_rows if fn in ALLOC_FNS or fn.startswith(ALLOC_PREFIXES))
    prost = sum(n for n, fn in self_rows if PROST_FN.search(fn)) / total
    out.append(f"| prost encode/decode/drop, generated message code (self) | {prost:.1%} |")
    out.append(f"| malloc/free themselves (self) | {alloc / total:.1%} |")
    out.append("")
    share = {label: next((n for n, fn in incl if re.search(pat, fn)), 0) / total for label, pat in CATEGORIES}
    wire = share["wire walk + all stages (wire::span_log_walk)"] + share[WALKS[2]] > 0
    stages = sum(share[l] for l in WALKS)
    biggest = max(((l, v) for l, v in share.items() if l not in WALKS + (APPLY,)), key=lambda x: x[1])
    path = ("the wire path (rust/wire: the walk copies what no stage reads and decodes only the "
            "attributes a stage may read, most without prost)" if wire
            else "the reference path (whole batch through prost)")
    out.append(f"Summary, {path}: prost's own code (encode, decode, drop) takes {prost:.0%} of the "
               f"instructions; the walk with the stages {stages:.0%} inclusive (largest stage: {biggest[0]}, "
               f"{biggest[1]:.0%}); the allocator alone {alloc / total:.0%}. The prost share alone is about "
               f"{per_batch * prost / nbytes:.0f} instructions per byte. What would close the 1 GB/s gap: stages "
               f"working on borrowed attribute views instead of prost `KeyValue`s, so that an attribute read "
               f"but not changed is never copied into owned strings and re-encoded.\n")
    out.append("Top 15 functions by self cost:\n")
    out.append("| instructions | share | function |")
    out.append("|---|---|---|")
    for n, fn in self_rows[:15]:
        out.append(f"| {n:,} | {n / total:.1%} | `{fn[:110]}` |")
    out.append("")
    return "\n".join(out)


ADVERSARIAL_SIZES = ("1KB", "1MB", "16MB")
ADVERSARIAL_HEADING = "## Cost per byte under adversarial input"


def adversarial(crit, machine):
    """The section of benches/adversarial.rs: time per input byte per shape and size."""
    shapes = sorted({g[len("adversarial_"):] for g, _ in crit if g.startswith("adversarial_")})
    if not shapes:
        return None
    md = [ADVERSARIAL_HEADING + "\n"]
    st = machine.get("steps", {}).get("adversarial")
    if st:
        md.append(f"Run {st['started']}, load average {st['loadavg']}, commit `{st['git']}`.\n")
    md.append("`Processor::process_edits` (the collector's call) on the adversarial shapes of issue 24 "
              "(`tests/support/adversarial.rs`), each built at about 1 KB, 1 MB and 16 MB "
              "(`benches/adversarial.rs`, criterion median). Flat cost per byte: the 16MB/1MB ratio near 1; "
              "at 1 KB the per-call overhead adds to the figure. `deep_nesting` is refused as undecodable "
              "at the decoder's nesting limit, so its figure is the cost of the refusal. "
              "`tests/hostile_scaling.rs` asserts the same shapes' growth from 64 KB to 1 MB.\n")
    md.append("| shape | 1 KB ns/B | 1 MB ns/B | 16 MB ns/B | 16MB/1KB | 16MB/1MB |")
    md.append("|---|---|---|---|---|---|")
    for shape in shapes:
        per_byte = {}
        for size in ADVERSARIAL_SIZES:
            v = crit.get((f"adversarial_{shape}", size))
            if v and v[1]:
                per_byte[size] = v[0] / v[1]
        cells = [f"{per_byte[z]:.2f}" if z in per_byte else "n/a" for z in ADVERSARIAL_SIZES]
        ratio = lambda a, b: f"{per_byte[a] / per_byte[b]:.2f}" if a in per_byte and b in per_byte else "n/a"
        md.append(f"| {shape} | {' | '.join(cells)} | {ratio('16MB', '1KB')} | {ratio('16MB', '1MB')} |")
    md.append("")
    return "\n".join(md)


def splice_adversarial(crit, machine):
    """Replaces (or adds, before the bars) the adversarial section of BENCHMARKS.md, rest untouched."""
    text = adversarial(crit, machine)
    if not text:
        sys.exit("report: no adversarial_* results under target/criterion")
    path = os.path.join(ROOT, "BENCHMARKS.md")
    old = open(path).read()
    start = old.find(ADVERSARIAL_HEADING + "\n")
    if start >= 0:
        end = old.find("\n## ", start + 1)
        new = old[:start] + text + (old[end + 1:] if end >= 0 else "")
    else:
        at = old.find("## The issue's bars\n")
        at = len(old) if at < 0 else at
        new = old[:at] + text + "\n" + old[at:]
    with open(path, "w") as f:
        f.write(new)



def connector_bench(path):
    """{(workload, connector): {unit: [values...]}} from BenchmarkConnector output."""
    out = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return out
    for line in lines:
        m = re.match(r"^BenchmarkConnector/(\w+)/(\w+)-\d+\s+\d+\s+(.*)$", line)
        if m:
            key, rest = (m.group(1), m.group(2)), m.group(3)
        else:
            m = re.match(r"^BenchmarkConnectorAfterProcessor-\d+\s+\d+\s+(.*)$", line)
            if not m:
                continue
            key, rest = ("after_processor", "pipelines"), m.group(1)
        units = out.setdefault(key, {})
        for v, unit in re.findall(r"([\d.]+) (\S+)", rest):
            units.setdefault(unit, []).append(float(v))
    return out


def connector_section(w, bars):
    """Issue 26: the genai connector against spanmetrics and a dropping connector."""
    cb = connector_bench(os.path.join(OUT, "connector-bench.txt"))
    mem = []
    try:
        mem = [json.loads(l) for l in open(os.path.join(OUT, "seriesmem.jsonl")) if l.strip()]
    except OSError:
        pass
    w("## Connector: genai against spanmetrics (issue 26)\n")
    if not cb and not mem:
        w("not run\n")
        return
    m = lambda wl, c, unit: med(cb.get((wl, c), {}).get(unit, []))
    w("`BenchmarkConnector` (go-shim/bench/connector_bench_test.go): `ConsumeTraces` per span, medians of "
      "the `-count` runs. `genai_spans`: batches of 100 model-call spans in the OTel GenAI conventions "
      "(about 25 attributes, 10 models x 5 outcomes x 2 services) through the genai connector and through "
      "contrib's `spanmetrics` configured with the same seven dimensions, genai's resource dimensions as its "
      "resource key and genai's duration buckets (seconds), no exemplars, cumulative "
      "(`bench.SpanmetricsConfig`; docs/benchmarks.md). `plain_spans`: the 100 HTTP spans of workload 4 "
      "(no GenAI key) through the genai connector and through a connector that drops them; `_decoded`: "
      "each batch decoded from OTLP bytes in the timed loop, as a receiver does. Both connectors flush on "
      "their own tickers every second during the run: ns/span is wall time of the calls, "
      "cpu-ns/span the process's CPU time (flushes and garbage collection included) over the spans.\n")
    w("| workload | connector | ns/span | cpu-ns/span | B/op | allocs/op |")
    w("|---|---|---|---|---|---|")
    for (wl, c) in [("genai_spans", "genai"), ("genai_spans", "spanmetrics"), ("plain_spans", "genai"),
                    ("plain_spans", "drop"), ("plain_spans_decoded", "genai"), ("plain_spans_decoded", "drop")]:
        if (wl, c) not in cb:
            continue
        f = lambda u, d=1: "n/a" if m(wl, c, u) is None else (
            f"{m(wl, c, u):,.0f}" if m(wl, c, u) >= 100 or d == 0 else f"{m(wl, c, u):.3g}")
        w(f"| {wl} | {c} | {f('ns/span')} | {f('cpu-ns/span')} | {f('B/op', 0)} | {f('allocs/op', 0)} |")
    w("")
    g, s = m("genai_spans", "genai", "ns/span"), m("genai_spans", "spanmetrics", "ns/span")
    gc, sc = m("genai_spans", "genai", "cpu-ns/span"), m("genai_spans", "spanmetrics", "cpu-ns/span")
    speed = s / g if g and s else None
    speed_cpu = sc / gc if gc and sc else None
    pg, pd = m("plain_spans", "genai", "ns/span"), m("plain_spans", "drop", "ns/span")
    bare = pg / pd if pg and pd else None
    # In CPU time, which the machine's other load does not inflate.
    pg, pd = m("plain_spans", "genai", "cpu-ns/span"), m("plain_spans", "drop", "cpu-ns/span")
    dd = m("plain_spans_decoded", "drop", "cpu-ns/span")
    # The receiver's decode is paid by every span whichever connector follows:
    # the skip path's cost over the dropping connector's, on top of it.
    piped = (dd + pg - pd) / dd if dd and pg is not None and pd is not None else None
    w("| ratio | value | bar |")
    w("|---|---|---|")
    ap = lambda unit: m("after_processor", "pipelines", unit)
    piped_speed = ap("speedup")
    w(f"| spanmetrics / genai after the genai processor (`BenchmarkConnectorAfterProcessor`): "
      f"each one's ns/span over the processor alone's, median of the runs' ratios | {fmt_ratio(piped_speed)} | >= 3x |")
    w(f"| spanmetrics / genai, connector alone (genai reads the batch itself), ns/span | {fmt_ratio(speed)} | |")
    w(f"| the same in cpu-ns/span | {fmt_ratio(speed_cpu)} | |")
    w(f"| plain spans: genai / drop, connector alone | {fmt_ratio(bare)} | <= 1.05x |")
    w(f"| plain spans: (decode + genai) / (decode + drop), cpu-ns/span, the decode measured in `plain_spans_decoded/drop` "
      f"| {'n/a' if piped is None else f'{piped:.3f}x'} | <= 1.05x |")
    w("")
    if ap("speedup") is not None:
        f0 = lambda u: "n/a" if ap(u) is None else f"{ap(u):,.0f}"
        w("`BenchmarkConnectorAfterProcessor`: the distribution's traces pipeline, where the genai processor "
          "reads each batch for the genai connector (docs/connector.md, \"One reading per batch\"): three "
          "pipelines, the genai processor then nothing, the genai connector or spanmetrics, fed the same "
          "batches in turn, one batch each, so that the machine's drift falls on all three alike; a "
          "connector's cost is its pipeline's wall time over the first's, which for genai holds the "
          "processor's reading as well as the connector's record. Medians of the runs, ns/span:\n")
        w("| processor alone | + genai | + spanmetrics | genai's cost | spanmetrics' cost |")
        w("|---|---|---|---|---|")
        w(f"| {f0('none-ns/span')} | {f0('genai-ns/span')} | {f0('spanmetrics-ns/span')} "
          f"| {f0('genai-over-none-ns/span')} | {f0('spanmetrics-over-none-ns/span')} |")
        runs = cb.get(("after_processor", "pipelines"), {}).get("speedup", [])
        w(f"\nRatio per run: {', '.join(f'{r:.2f}x' for r in runs)}.\n")
    w("The dropping connector's call is a few nanoseconds per 100-span batch, so the connector-alone "
      "ratio compares genai's skip path (one cached lookup per attribute key, a string comparison for a key "
      "that repeats the one at its position in the span before, and its self-telemetry) with nothing; "
      "the decoded reading puts it next to the work every span already costs the collector.\n")
    bars.append(("Connector >= 3x faster per span than spanmetrics (same dimensions, same GenAI spans, after the genai processor; wall, interleaved)",
                 fmt_ratio(piped_speed), None if piped_speed is None else piped_speed >= 3))
    bars.append(("Plain spans through the connector at most 5 % over a dropping connector (connector alone)",
                 fmt_ratio(bare), None if bare is None else bare <= 1.05))
    bars.append(("Plain spans through the connector at most 5 % over a dropping connector (with the receiver's decode)",
                 "n/a" if piped is None else f"{piped:.3f}x", None if piped is None else piped <= 1.05))
    if mem:
        by = {}
        for r in mem:
            by.setdefault(r["connector"], []).append(r)
        n = mem[0]["series"]
        w(f"Memory per active series (`go-shim/bench/cmd/seriesmem`, one process per run, {len(mem)} runs): "
          f"{n:,} spans with distinct model names (one attribute set each) after a warm-up span; heap and RSS "
          "read after `runtime.GC` and `debug.FreeOSMemory`. The RSS delta is the measure for both (genai's "
          "series live in the Rust core's heap, outside Go's); genai's own estimate is "
          "`otelcol_connector_genai_state_bytes`. Per attribute set genai holds four histograms (duration, "
          "input and output tokens, cost), spanmetrics a duration histogram and a calls counter. Medians "
          "(min-max) in bytes per series:\n")
        w("| connector | RSS delta | Go heap delta | state_bytes (core's estimate) |")
        w("|---|---|---|---|")
        rng = lambda xs: "n/a" if not xs else f"{med(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"
        for c in ("genai", "spanmetrics"):
            rs = by.get(c, [])
            w(f"| {c} | {rng([r['rss_bytes_per_series'] for r in rs])} | {rng([r['go_heap_bytes_per_series'] for r in rs])} "
              f"| {rng([r['state_bytes_per_series'] for r in rs if r.get('state_bytes_per_series')]) if c == 'genai' else ''} |")
        w("")
        gs = [r["rss_bytes_per_series"] for r in by.get("genai", [])]
        ss = [r["rss_bytes_per_series"] for r in by.get("spanmetrics", [])]
        gm, sm = med(gs), med(ss)
        overlap = gs and ss and max(gs) >= min(ss) and max(ss) >= min(gs)
        bars.append(("Connector memory per active series <= spanmetrics' (RSS delta, medians)",
                     "n/a" if gm is None or sm is None else
                     f"{gm:,.0f} vs {sm:,.0f} B/series" + (" (the runs' ranges overlap)" if overlap else ""),
                     None if gm is None or sm is None else gm <= sm))

def main():
    machine = load_json(os.path.join(OUT, "machine.json"), {})
    crit = criterion()
    gns, galloc = go_bench(os.path.join(OUT, "go-bench.txt"))
    gmed = {k: med(v) for k, v in gns.items()}
    load = []
    try:
        load = [json.loads(l) for l in open(os.path.join(OUT, "loadtest.jsonl")) if l.strip()]
    except OSError:
        pass
    rss_runs = []
    for name in ("ffirss.json", "ffirss-1M.json"):
        r = load_json(os.path.join(OUT, name))
        if r:
            r["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(os.path.join(OUT, name))))
            rss_runs.append(r)
    bars = []
    md = []
    w = md.append

    w("# Benchmarks\n")
    w("Generated by `scripts/bench.sh` from one run; do not edit by hand. Every ratio compares "
      "measurements taken in that same run. Methods, definitions and the pure-Go baseline: "
      "[docs/benchmarks.md](docs/benchmarks.md).\n")
    w("## Machine\n")
    for k in ("date", "git", "nproc", "cpu", "memory", "loadavg_start", "loadavg_end", "go", "rustc"):
        if k in machine:
            w(f"- {k.replace('_', ' ')}: `{machine[k]}`")
    steps = machine.get("steps", {})
    if steps:
        w("\n| step | started | load average (1, 5, 15 min) | commit |")
        w("|---|---|---|---|")
        for name, st in steps.items():
            w(f"| {name} | {st['started']} | {st['loadavg']} | `{st['git']}` |")
    for r in machine.get("reruns", []):
        w(f"\nPartial rerun: {r}.")
    w("\nThe machine is shared with other agents (builds, fuzzers): absolute figures are noisy and "
      "low; ratios within one run are what the bars use.\n")
    w("## Commands\n")
    w("```")
    for c in machine.get("commands", []):
        w(c)
    w("```\n")

    # --- Rust core (criterion)
    w("## Rust core (criterion, one thread)\n")
    w("Median time per 1,000-item batch; throughput in OTLP input bytes per second; ratio = "
      "time of prost decode + encode of the same batch / time of the configuration "
      "(above 1: faster than the prost round trip).\n")
    w("| workload | config | time/batch | input MB/s | items/s | vs prost round trip |")
    w("|---|---|---|---|---|---|")
    core_gbs = {}
    for wl in CORE_WORKLOADS:
        floor = crit.get((wl, "prost_roundtrip"))
        for cfg in ("all", "edits", "normalize", "cost", "naming", "none", "prost_roundtrip"):
            v = crit.get((wl, cfg))
            if not v:
                continue
            ns, nbytes = v
            bps = nbytes / (ns / 1e9) if nbytes else None
            if cfg in ("all", "edits"):
                core_gbs[wl, cfg] = bps / 1e9 if bps else None
            ratio = floor[0] / ns if floor else None
            w(f"| {wl} | {cfg} | {ns / 1e6:.3f} ms | {bps / 1e6:.0f} | {fmt_rate(ITEMS / (ns / 1e9))} | {fmt_ratio(ratio)} |")
    w("")
    # Both calls run every transform: `all` returns the whole batch (the C
    # ABI's call), `edits` the edits the Go component applies (its call).
    calls = {"all": "whole batch out", "edits": "edits out, the Go component's call"}
    for wl in ("genai_metrics", "genai_spans", "genai_spans_pdata"):
        for cfg, call in calls.items():
            g = core_gbs.get((wl, cfg))
            bars.append((f"Rust core >= 1 GB/s per core, {wl}, all transforms, {call}",
                         "n/a" if g is None else f"{g:.3f} GB/s ({g:.1%} of the bar)".replace("%", " %"),
                         None if g is None else g >= 1.0))
    p10, p5000 = crit.get(("pricing_lookup", "10")), crit.get(("pricing_lookup", "5000"))
    if p10 and p5000:
        r = p5000[0] / p10[0]
        w(f"Cost lookup (4 queries: exact, dated, region-prefixed, miss): 10 entries "
          f"{p10[0]:.0f} ns, 5,000 entries {p5000[0]:.0f} ns, ratio {r:.3f}.\n")
        bars.append(("Cost lookup: 10 vs 5,000 entries within 10 %", f"5,000/10 = {r:.3f}", abs(r - 1) <= 0.10))

    # --- Go processor benchmarks
    w("## Full processor in Go (pdata in -> pdata out, marshal and cgo included)\n")
    w("`go test -bench BenchmarkProcessor -benchmem -benchtime 100x -count N`, median of the N runs "
      "(spread: slowest / fastest run, a measure of the machine's noise). "
      "*noop*: a processor returning its input (floor); *roundtrip*: pdata marshal + unmarshal "
      "alone (boundary floor); *genai*: all stages on; *genai_normalize*: normalization only; "
      "*purego*: attributes + transform processors from contrib configured to give genai's output "
      "(checked by `TestPureGoPipelineAgreesWithGenai`); *purego_normalize*: its normalization "
      "part. Speed-up = purego time / genai time.\n")
    w("| workload | config | time/batch (median) | spread (max/min) | items/s | B/op | allocs/op | time / genai time |")
    w("|---|---|---|---|---|---|---|---|")
    for wl in WORKLOADS:
        g = gmed.get((wl, "genai"))
        for cfg in ("noop", "roundtrip", "genai", "genai_normalize", "purego", "purego_normalize"):
            ns = gmed.get((wl, cfg))
            if ns is None or (wl.endswith("metrics") and cfg.endswith("_normalize")):
                continue  # metric points carry canonical keys: nothing to normalize
            b, a = galloc.get((wl, cfg), (0, 0))
            rel = f"{ns / g:.2f}" if g else "n/a"
            runs = gns[(wl, cfg)]
            w(f"| {wl} | {cfg} | {ns / 1e6:.3f} ms | {max(runs) / min(runs):.2f} | {fmt_rate(ITEMS / (ns / 1e9))} | {b} | {a} | {rel} |")
    w("")
    w("*Ceiling*: purego time / roundtrip time, the largest speed-up over pure Go that genai could reach "
      "if it marshaled and unmarshaled the whole batch, even with a Rust core that cost nothing. It no "
      "longer does: changed batches of every signal are marshaled once and edited in place (edits from "
      "the core), so they are not bound by it.\n")
    w("| workload | genai speed-up over pure Go (bar >= 3x) | normalization: genai_normalize vs purego_normalize (bar >= 1x) | genai time / roundtrip time | ceiling with full marshal + unmarshal |")
    w("|---|---|---|---|---|")
    for wl in WORKLOADS[:3]:
        g, p = gmed.get((wl, "genai")), gmed.get((wl, "purego"))
        gn, pn = gmed.get((wl, "genai_normalize")), gmed.get((wl, "purego_normalize"))
        rt = gmed.get((wl, "roundtrip"))
        sp = p / g if g and p else None
        spn = pn / gn if gn and pn else None
        ceil = p / rt if p and rt else None
        w(f"| {wl} | {fmt_ratio(sp)} | {fmt_ratio(spn) if spn else 'n/a (metric points carry canonical keys)'} | "
          f"{fmt_ratio(g / rt if g and rt else None)} | {fmt_ratio(ceil)} |")
        bars.append((f"Full processor >= 3x pure Go, {wl}", fmt_ratio(sp), None if sp is None else sp >= 3))
        if spn is not None:
            bars.append((f"Normalization no slower than the pure-Go normalizer, {wl}", fmt_ratio(spn), spn >= 1))
    w("")
    w("Workload 4 against the no-op processor: the no-op costs a few microseconds per batch, so the "
      "processor-alone reading of the 5 % bar leaves genai well under a microsecond per batch. "
      "Batches without a GenAI attribute key (and, for metrics, without a GenAI metric name) are "
      "passed on without marshaling after one cached lookup per attribute key and metric name "
      "(a string comparison for a key that repeats the one at its position in the item before). "
      "The collector-level reading is in the load test below.\n")
    w("| workload 4 | genai time / noop time (bar <= 1.05) | genai time / roundtrip time |")
    w("|---|---|---|")
    for wl in WORKLOADS[3:]:
        g, n, rt = gmed.get((wl, "genai")), gmed.get((wl, "noop")), gmed.get((wl, "roundtrip"))
        r = g / n if g and n else None
        w(f"| {wl} | {fmt_ratio(r)} | {fmt_ratio(g / rt if g and rt else None)} |")
        bars.append((f"Non-GenAI traffic at most 5 % slower than no-op, {wl} (processor alone)", fmt_ratio(r), None if r is None else r <= 1.05))
    w("")
    bs = os.path.join(OUT, "benchstat.txt")
    if os.path.exists(bs) and os.path.getsize(bs) > 0:
        w("<details><summary>benchstat output</summary>\n\n```")
        text = open(bs).read()
        # The sec/op table only (the others repeat it as B/s and items/s).
        end = text.find("\n\n", text.find("geomean"))
        w((text[:end] if end > 0 else text).rstrip())
        w("```\n</details>\n")

    # --- Load test
    w("## Collector load test (otelcol-genai on loopback)\n")
    w("A generator sends pre-encoded 1,000-item OTLP/gRPC requests (4 in flight) for a bounded "
      "time; the collector exports over OTLP/gRPC to a loopback sink (queue and retries off, so an "
      "acknowledged request has been exported). Generator, sink and collector share the machine's "
      "cores, so *items per CPU-second* (items / collector user+system CPU time, i.e. per core) is "
      "the fair throughput; RSS is the collector's VmHWM. *none*: no processor; *purego*: the "
      "contrib pipeline above. With several rounds, each round measures every configuration once, "
      "interleaved; a ratio is taken within each round (genai against the same round's none) and "
      "the median of those is reported, with their range. *genai's CPU share*: the fraction of the "
      "collector's CPU profile samples (from its pprof extension, over the measurement) whose stack "
      "is in the genai processor, cgo calls included; it comes from one run, so the machine's load "
      "moves it little, and 1 - share is the throughput the collector would keep without the "
      "processor's own work (not counting the garbage collection its allocations cause).\n")
    w("| workload | pipeline | round | seconds | items/s | items per CPU-s | input MB per CPU-s | VmHWM MiB | mean RSS MiB | errors | output transformed | genai's CPU share |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in load:
        w(f"| {r['workload']} | {r['pipeline']} | {r.get('round', 1)} | {r['seconds']:.1f} | {fmt_rate(r['items_per_s'])} | "
          f"{fmt_rate(r['items_per_cpu_s'])} | {r['input_bytes_per_cpu_s'] / 1e6:.1f} | {r['rss_hwm_kib'] / 1024:.0f} | "
          f"{r['rss_mean_kib'] / 1024:.0f} | {r['errors']} | {r['transformed']} | "
          f"{fmt_share(r.get('processor_cpu_share'))} |")
    w("")
    w("| workload | rounds | genai / none throughput per CPU-s (bar >= 0.90) | 1 - genai's CPU share | genai / none items/s | genai / none VmHWM (bar <= 1.10) | genai / purego per CPU-s |")
    w("|---|---|---|---|---|---|---|")
    for wl in dict.fromkeys(r["workload"] for r in load):
        tr = paired(load, wl, "none", "items_per_cpu_s")
        if not tr:
            continue
        wr = paired(load, wl, "none", "items_per_s")
        rr = paired(load, wl, "none", "rss_hwm_kib")
        pr = paired(load, wl, "purego", "items_per_cpu_s")
        kept = [1 - r["processor_cpu_share"] for r in load
                if (r["workload"], r["pipeline"]) == (wl, "genai") and "processor_cpu_share" in r]
        w(f"| {wl} | {len(tr)} | {fmt_spread(tr)} | {fmt_spread(kept)} | {fmt_spread(wr)} | {fmt_spread(rr)} | {fmt_spread(pr)} |")
        t, rss = med(tr), med(rr)
        bars.append((f"Collector with genai keeps >= 90 % throughput, {wl}", fmt_spread(tr), t >= 0.90))
        bars.append((f"Collector with genai: RSS within 10 %, {wl}", fmt_spread(rr), None if rss is None else rss <= 1.10))
        if wl.startswith("plain"):
            bars.append((f"Non-GenAI traffic at most 5 % slower than no-op, {wl} (collector)", fmt_spread(tr), t >= 0.95))
            if kept:
                bars.append((f"Non-GenAI traffic at most 5 % slower than no-op, {wl} (collector, 1 - genai's CPU share)",
                             fmt_spread(kept), med(kept) >= 0.95))
    w("")

    connector_section(w, bars)

    # --- RSS over many batches
    w("## Memory over many FFI round trips\n")
    for rss in rss_runs:
        growth = (rss["rss_max_kib"] - rss["rss_after_warmup_kib"]) / rss["rss_after_warmup_kib"]
        w(f"`ffirss` (finished {rss['when']}): {rss['batches']:,} batches of 16 items (GenAI spans, metrics, logs in turn) "
          f"through the genai processor in {rss['seconds']:.0f} s; RSS after {rss['warmup_batches']:,} "
          f"warm-up batches {rss['rss_after_warmup_kib'] / 1024:.1f} MiB, then {len(rss['samples_kib'])} samples "
          f"between {rss['rss_min_kib'] / 1024:.1f} and {rss['rss_max_kib'] / 1024:.1f} MiB, last "
          f"{rss['rss_last_kib'] / 1024:.1f} MiB (max growth {growth:+.1%}). Samples (MiB): "
          + ", ".join(f"{s / 1024:.1f}" for s in rss["samples_kib"]) + ".\n")
        # Trend: mean of the last 5 samples minus mean of the first 5, per batch
        # between their centres. A leak of one allocation per batch would be
        # several bytes per batch; allocator and GC noise is far below one.
        smp = rss["samples_kib"]
        k = min(5, len(smp) // 2)
        trend = None
        if k:
            every = (rss["batches"] - rss["warmup_batches"]) / len(smp)
            span = (len(smp) - k) * every
            trend = (sum(smp[-k:]) / k - sum(smp[:k]) / k) * 1024 / span
            w(f"Trend: mean of the last {k} samples minus mean of the first {k} = "
              f"{(sum(smp[-k:]) - sum(smp[:k])) / k:+.0f} KiB over {span:,.0f} batches, "
              f"**{trend:+.2f} bytes per batch** (a leak of one allocation per batch would be 8 or more).\n")
        if rss["batches"] >= 1_000_000:  # the bar is defined on 1M batches; shorter runs only inform
            bars.append((f"RSS flat over {rss['batches']:,} batches: trend < 1 byte per batch",
                         f"{trend:+.2f} B/batch (max sample {growth:+.1%} over the post-warm-up RSS)" if trend is not None else "n/a",
                         None if trend is None else trend < 1))
    if not any(r["batches"] >= 1_000_000 for r in rss_runs):
        bars.append(("RSS flat over 1M batches", "not run at 1M (see the command below)", None))
    if not rss_runs:
        w("not run\n")
    w("The 1M-batch check: `cd go-shim && go run ./bench/cmd/ffirss -batches 1000000 > ../build/bench/ffirss-1M.json`, "
      "then `BENCH_REPORT_ONLY=1 scripts/bench.sh`.\n")

    # --- Profile
    w("## Where the time goes in the Rust core\n")
    for wl in ("genai_metrics", "genai_spans"):
        prof = profile(wl, crit)
        if prof:
            w(prof)
    summary = os.path.join(OUT, "profile-summary.md")
    if os.path.exists(summary):
        w(open(summary).read().rstrip() + "\n")

    # --- Adversarial shapes
    adv = adversarial(crit, machine)
    if adv:
        w(adv)

    # --- Bars
    w("## The issue's bars\n")
    w("| bar | measured | result |")
    w("|---|---|---|")
    for name, measured, ok in bars:
        w(f"| {name} | {measured} | {verdict(ok)} |")
    w("")
    w("![throughput per configuration](bench/throughput.png)\n")

    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(md))
    chart(gmed, load, crit)


def chart(gmed, load, crit):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(18, 6))
    # Rust core
    ax = axes[0]
    cfgs = ["all", "normalize", "cost", "naming", "none", "prost_roundtrip"]
    wls = [wl for wl in WORKLOADS if (wl, "all") in crit]
    width = 0.8 / len(cfgs)
    for i, cfg in enumerate(cfgs):
        ys = []
        for wl in wls:
            v = crit.get((wl, cfg))
            ys.append(v[1] / (v[0] / 1e9) / 1e6 if v and v[1] else 0)
        ax.bar([x + i * width for x in range(len(wls))], ys, width, label=cfg)
    ax.axhline(1000, color="red", linestyle="--", linewidth=1, label="bar: 1 GB/s")
    ax.set_xticks([x + width * (len(cfgs) - 1) / 2 for x in range(len(wls))], wls, rotation=20)
    ax.set_ylabel("OTLP input MB/s (one core)")
    ax.set_yscale("log")
    ax.set_title("Rust core (criterion)")
    ax.legend(fontsize=8)
    # Go processor
    ax = axes[1]
    cfgs = ["roundtrip", "genai", "genai_normalize", "purego", "purego_normalize"]
    wls = [wl for wl in WORKLOADS if (wl, "genai") in gmed]
    width = 0.8 / len(cfgs)
    for i, cfg in enumerate(cfgs):
        ys = [ITEMS / (gmed[(wl, cfg)] / 1e9) if gmed.get((wl, cfg)) and not (wl.endswith("metrics") and cfg.endswith("_normalize")) else 0
              for wl in wls]
        ax.bar([x + i * width for x in range(len(wls))], ys, width, label=cfg)
    ax.set_xticks([x + width * (len(cfgs) - 1) / 2 for x in range(len(wls))], wls, rotation=20)
    ax.set_ylabel("items/s (one goroutine)")
    ax.set_yscale("log")
    ax.set_title("Full processor, pdata in -> out (noop floor off the scale)")
    ax.legend(fontsize=8)
    # Load test
    ax = axes[2]
    pipes = ["none", "genai", "purego"]
    wls = list(dict.fromkeys(r["workload"] for r in load))
    width = 0.8 / len(pipes)
    for i, p in enumerate(pipes):
        ys = [med([r["items_per_cpu_s"] for r in load if (r["workload"], r["pipeline"]) == (wl, p)]) or 0
              for wl in wls]
        ax.bar([x + i * width for x in range(len(wls))], ys, width, label=p)
    ax.set_xticks([x + width * (len(pipes) - 1) / 2 for x in range(len(wls))], wls, rotation=20)
    ax.set_ylabel("items per collector CPU-second")
    ax.set_title("otelcol-genai load test (loopback OTLP/gRPC)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(CHART), exist_ok=True)
    fig.savefig(CHART, dpi=90)


if __name__ == "__main__":
    if sys.argv[1:] == ["--adversarial-only"]:
        sys.exit(splice_adversarial(criterion(), load_json(os.path.join(OUT, "machine.json"), {})))
    sys.exit(main())
