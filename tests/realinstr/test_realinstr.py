"""Real instrumentation libraries through the built otelcol-genai collector (issue #8).

For each library in harness.LIBRARIES: start the collector (tests/realinstr/otelcol-realinstr.yaml:
OTLP/HTTP in, the genai processor with defaults, file exporters out) on a free loopback port,
run the library's unmodified app against the fake OpenAI server with the collector as its OTLP
endpoint, stop the collector (flushing the files), then compare what came out with what the
app did (its manifest). The assertions state the intended behaviour of issues #3
(normalization), #4 (cost) and #5 (VictoriaMetrics naming).

Needs build/otelcol-genai/otelcol-genai (`make collector`) and the venvs of
scripts/setup-pyenv.sh; skips with the reason when either is missing.
Run: scripts/realinstr-test.sh (or build/pyenv/runner/bin/python -m pytest tests/realinstr).
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_openai import FakeOpenAI  # noqa: E402
from harness import HERE, LIBRARIES, REPO, Library, run_app  # noqa: E402

COLLECTOR = Path(os.environ.get("GENAI_COLLECTOR", REPO / "build" / "otelcol-genai" / "otelcol-genai"))
CONFIG = HERE / "otelcol-realinstr.yaml"
CAPTURED = REPO / "tests" / "fixtures" / "captured"
ENVIRONMENT = "realinstr"
# Models whose prices every table we use has (OpenLIT's and LiteLLM's): cost must be > 0.
PRICED = {"gpt-4o-mini", "gpt-4o", "o3-mini", "text-embedding-3-small"}
# gpt-4o-mini list price, USD per token (input, output): the one exact cost this test checks.
GPT_4O_MINI = (0.15e-6, 0.60e-6)

DURATION = ("gen_ai_client_operation_duration_seconds", "gen_ai.client.operation.duration")
TOKENS = ("gen_ai_client_token_usage", "gen_ai.client.token.usage")
COST = ("gen_ai_usage_cost_USD", "gen_ai.usage.cost")
# OpenLIT <= 1.36 per-type token counters, under the names the naming stage may give them
LEGACY_INPUT = ("gen_ai_usage_input_tokens_total", "gen_ai_usage_input_tokens", "gen_ai.usage.input_tokens")
LEGACY_OUTPUT = ("gen_ai_usage_output_tokens_total", "gen_ai_usage_output_tokens", "gen_ai.usage.output_tokens")
TTFT = ("gen_ai_server_time_to_first_token_seconds", "gen_ai.server.time_to_first_token")


# -- reading the file exporter's OTLP/JSON ------------------------------------------------------
def _value(v: dict):
    for k, x in v.items():
        if k == "intValue":
            return int(x)
        if k == "arrayValue":
            return [_value(i) for i in x.get("values", [])]
        if k == "kvlistValue":
            return {kv["key"]: _value(kv.get("value", {})) for kv in x.get("values", [])}
        return x
    return None


def _attrs(lst) -> dict:
    return {kv["key"]: _value(kv.get("value", {})) for kv in lst or []}


def _status(code) -> str:
    """OTLP/JSON writes enums as numbers (the collector) or names (protobuf's json_format)."""
    return {0: "STATUS_CODE_UNSET", 1: "STATUS_CODE_OK", 2: "STATUS_CODE_ERROR"}.get(code, code)


def _lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_output(out: Path) -> dict:
    """Spans, metric points (last cumulative value per stream) and log records, flattened."""
    spans, logs = [], []
    for req in _lines(out / "traces.jsonl"):
        for rs in req.get("resourceSpans", []):
            res = _attrs(rs.get("resource", {}).get("attributes"))
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    spans.append({"name": sp["name"], "resource": res, "attrs": _attrs(sp.get("attributes")),
                                  "status": _status(sp.get("status", {}).get("code", 0))})
    # cumulative: per metric stream, the points of the last export holding it carry the totals
    by_metric: dict[tuple, list[dict]] = {}
    zero_starts: set[tuple] = set()
    for req in _lines(out / "metrics.jsonl"):
        for rm in req.get("resourceMetrics", []):
            res = _attrs(rm.get("resource", {}).get("attributes"))
            for sm in rm.get("scopeMetrics", []):
                for m in sm.get("metrics", []):
                    kind = next((k for k in ("histogram", "sum", "gauge", "exponentialHistogram") if k in m), None)
                    if kind is None:
                        continue
                    key = (m["name"], json.dumps(res, sort_keys=True), sm.get("scope", {}).get("name"))
                    # Zero points (zero_start) come with a series' first export only.
                    zero_starts.update(
                        (key, json.dumps(_attrs(dp.get("attributes")), sort_keys=True), int(dp["startTimeUnixNano"]))
                        for dp in m[kind].get("dataPoints", [])
                        if dp.get("startTimeUnixNano") and dp.get("startTimeUnixNano") == dp.get("timeUnixNano")
                        and int(dp.get("count", 0)) == 0 and float(dp.get("sum", 0.0)) == 0.0
                    )
                    by_metric[key] = [
                        {
                            "metric": m["name"], "unit": m.get("unit", ""), "kind": kind, "resource": res,
                            "attrs": _attrs(dp.get("attributes")), "count": int(dp.get("count", 0)),
                            "sum": float(dp.get("sum", 0.0)), "value": float(dp.get("asDouble", dp.get("asInt", 0))),
                            "start": int(dp.get("startTimeUnixNano", 0)), "time": int(dp.get("timeUnixNano", 0)),
                        }
                        for dp in m[kind].get("dataPoints", [])
                    ]
    for req in _lines(out / "logs.jsonl"):
        for rl in req.get("resourceLogs", []):
            res = _attrs(rl.get("resource", {}).get("attributes"))
            for sl in rl.get("scopeLogs", []):
                for lr in sl.get("logRecords", []):
                    logs.append({"resource": res, "attrs": _attrs(lr.get("attributes")),
                                 "event": lr.get("eventName", "")})
    points = [p for pts in by_metric.values() for p in pts]
    return {"spans": spans, "points": points, "by_metric": by_metric, "zero_starts": zero_starts, "logs": logs}


def label(attrs: dict, key: str):
    """A point attribute in label form (gen_ai_request_model), else its dotted original."""
    return attrs.get(key.replace(".", "_"), attrs.get(key))


def points_of(run: dict, names: tuple[str, ...]) -> list[dict]:
    return [p for p in run["points"] if p["metric"] in names]


# -- running one library through the collector --------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, log: Path, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"collector exited ({proc.returncode}) at start:\n{log.read_text()[-4000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"collector not listening on {port} after {limit}s:\n{log.read_text()[-4000:]}")


def run_through_collector(lib: Library, out: Path, extra_config: tuple[str, ...] = ()) -> dict:
    """extra_config: further --config values merged over CONFIG (e.g. "yaml:processors::...")."""
    port = free_port()
    log = out / "collector.log"
    env = dict(os.environ, REALINSTR_OTLP_HTTP_PORT=str(port), REALINSTR_OUT=str(out))
    args = [str(COLLECTOR), f"--config={CONFIG}", *(f"--config={c}" for c in extra_config)]
    with open(log, "w") as logf:
        proc = subprocess.Popen(args, env=env, stdout=logf, stderr=subprocess.STDOUT)
    fake = FakeOpenAI().start()
    try:
        wait_listening(port, proc, log)
        manifest = run_app(lib, f"http://127.0.0.1:{port}", fake.url, out / "manifest.json",
                           f"realinstr-{lib.name}", ENVIRONMENT)
    finally:
        fake.stop()
        proc.send_signal(signal.SIGTERM)  # graceful: the file exporters flush and close
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    result = read_output(out)
    result.update(manifest=manifest, lib=lib, log=log.read_text(), service=f"realinstr-{lib.name}")
    return result


_RUNS: dict[str, dict] = {}


def run_once(lib: Library, tmp_path_factory) -> dict:
    """The library's run through the collector, made once per session and shared by tests."""
    if not COLLECTOR.exists():
        pytest.skip(f"collector not built: {COLLECTOR} missing (make collector)")
    why = lib.missing()
    if why:
        pytest.skip(why)
    if lib.name not in _RUNS:
        _RUNS[lib.name] = run_through_collector(lib, tmp_path_factory.mktemp(lib.name))
    return _RUNS[lib.name]


@pytest.fixture(scope="module", params=LIBRARIES, ids=lambda lib: lib.name)
def run(request, tmp_path_factory) -> dict:
    return run_once(request.param, tmp_path_factory)


# -- what the app did ---------------------------------------------------------------------------
def instrumented(run: dict) -> list[dict]:
    return [c for c in run["manifest"]["calls"] if c["operation"] not in run["lib"].uninstrumented]


def exact_usage(call: dict) -> bool:
    """Did the library see the API's usage (OpenLIT 1.33 estimates streamed tokens itself)?"""
    return call["error_type"] is None and (not call["stream"] or call["include_usage"])


# operations that are not a call to a model (as in rust/span_metrics/call.rs)
NOT_MODEL_CALLS = {"invoke_agent", "create_agent", "execute_tool", "invoke_workflow", "retrieval"}


def genai_spans(run: dict) -> list[dict]:
    """LLM-call spans, one per call, by the span->metrics connector's rule (rust/span_metrics/call.rs):
    a (normalized) gen_ai.operation.name that calls a model, or else a model and token usage.
    Wrapper spans name a model but neither (the Vercel AI SDK's outer ai.generateText around
    ai.generateText.doGenerate). OpenLIT 1.33 puts no gen_ai attribute at all on failed calls:
    go by name too."""
    def is_call(a: dict) -> bool:
        if "gen_ai.operation.name" in a:
            return a["gen_ai.operation.name"] not in NOT_MODEL_CALLS
        return "gen_ai.request.model" in a and "gen_ai.usage.input_tokens" in a

    return [s for s in run["spans"]
            if is_call(s["attrs"]) or re.match(r"(chat|embeddings|text_completion) \S+$", s["name"])]


def span_input_tokens(lib: Library, call: dict) -> int:
    """The input tokens a call's span should state: the API's, or for Anthropic (whose API counts
    cache reads and writes apart) their sum where the library adds them up (the Vercel AI SDK)."""
    if call["provider"] == "anthropic" and lib.anthropic_input_includes_cache:
        return call["input_tokens"] + call["cached_tokens"] + call["cache_creation_tokens"]
    return call["input_tokens"]


def needs_metrics(run: dict) -> None:
    if not run["lib"].sends_metrics:
        pytest.skip(f"{run['lib'].name} sends no metrics (traces only) and this pipeline derives none")


def unmetered(run: dict) -> set[str]:
    """Models whose token metrics cannot equal the API's usage: the library estimated the
    tokens itself (OpenLIT 1.33 streams) or records none for streams (openai-v2 2.1b0)."""
    calls = [c for c in instrumented(run) if c["error_type"] is None]
    out = {c["model"] for c in calls if not exact_usage(c)}
    if not run["lib"].stream_tokens_in_metrics:
        out |= {c["model"] for c in calls if c["stream"]}
    return out


# -- tests --------------------------------------------------------------------------------------
def test_pipeline_delivers_spans_and_metrics(run):
    calls = instrumented(run)
    spans = genai_spans(run)
    errors = [line for line in run["log"].splitlines() if "\terror\t" in line or '"level":"error"' in line]
    assert not errors, errors[:5]
    assert len(spans) == len(calls), [s["name"] for s in spans]
    if run["lib"].sends_metrics:
        assert points_of(run, DURATION), sorted({p["metric"] for p in run["points"]})


def test_span_tokens_equal_what_the_app_did(run):
    spans = genai_spans(run)
    want = Counter((c["model"], c["operation"], span_input_tokens(run["lib"], c),
                    c["output_tokens"] if c["operation"] == "chat" else None)
                   for c in instrumented(run) if exact_usage(c))
    got = Counter((s["attrs"].get("gen_ai.request.model"), s["attrs"].get("gen_ai.operation.name"),
                   s["attrs"].get("gen_ai.usage.input_tokens"),
                   s["attrs"].get("gen_ai.usage.output_tokens") if s["attrs"].get("gen_ai.operation.name") == "chat" else None)
                  for s in spans if s["status"] != "STATUS_CODE_ERROR")
    missing = want - got
    assert not missing, f"spans missing for {missing}; got {got}"


def test_provider_name_canonical_on_spans(run):
    """#3: gen_ai.provider.name present with the canonical value, whatever the library wrote."""
    expected = {c["model"]: c["provider"] for c in run["manifest"]["calls"]}
    wrong = [(s["name"], s["attrs"].get("gen_ai.provider.name"), s["attrs"].get("gen_ai.system"))
             for s in genai_spans(run)
             if s["status"] != "STATUS_CODE_ERROR" or "gen_ai.request.model" in s["attrs"]
             if s["attrs"].get("gen_ai.provider.name") != expected.get(s["attrs"].get("gen_ai.request.model"))]
    assert not wrong, f"(span, gen_ai.provider.name, gen_ai.system): {wrong}"


def test_provider_name_canonical_on_metric_points(run):
    """#3 + #5: every GenAI point groups by gen_ai_provider_name with the canonical value."""
    needs_metrics(run)
    expected = {c["model"]: c["provider"] for c in run["manifest"]["calls"]}
    if run["lib"].metric_embeddings_as_chat_without_provider:
        # A fact of the library's metrics (harness.Library): its embedding points name no provider.
        expected.update({c["model"]: None for c in run["manifest"]["calls"] if c["operation"] == "embeddings"})
    pts = points_of(run, DURATION + TOKENS + COST)
    assert pts
    wrong = [(p["metric"], label(p["attrs"], "gen_ai.request.model"), label(p["attrs"], "gen_ai.provider.name"))
             for p in pts
             if label(p["attrs"], "gen_ai.provider.name") != expected.get(label(p["attrs"], "gen_ai.request.model"))]
    assert not wrong, f"(metric, model, provider): {wrong}"


def test_cost_on_llm_spans(run):
    """#4: every successful call of a priced model has gen_ai.usage.cost > 0 on its span."""
    spans = [s for s in genai_spans(run) if s["status"] != "STATUS_CODE_ERROR"
             and s["attrs"].get("gen_ai.request.model") in PRICED]
    assert spans
    missing = [(s["name"], s["attrs"].get("gen_ai.usage.cost")) for s in spans
               if not (isinstance(s["attrs"].get("gen_ai.usage.cost"), (int, float)) and s["attrs"]["gen_ai.usage.cost"] > 0)]
    assert not missing, f"(span, cost): {missing}"


def test_cost_exact_for_uncached_gpt_4o_mini(run):
    """#4: the processor's cost is price x tokens (OpenLIT's own figure is kept: checked equal too)."""
    call = next(c for c in run["manifest"]["calls"] if c["name"] == "chat-mini")
    want = call["input_tokens"] * GPT_4O_MINI[0] + call["output_tokens"] * GPT_4O_MINI[1]
    costs = [s["attrs"].get("gen_ai.usage.cost") for s in genai_spans(run)
             if s["attrs"].get("gen_ai.request.model") == "gpt-4o-mini"
             and s["attrs"].get("gen_ai.usage.input_tokens") == call["input_tokens"]
             and s["attrs"].get("gen_ai.usage.output_tokens") == call["output_tokens"]]
    assert costs and all(isinstance(c, (int, float)) and math.isclose(c, want, rel_tol=1e-9) for c in costs), (costs, want)


def test_cost_metric_per_model(run):
    """#4: a gen_ai_usage_cost_USD histogram whose sum per priced model is > 0."""
    needs_metrics(run)
    by_model = defaultdict(float)
    for p in points_of(run, COST):
        by_model[label(p["attrs"], "gen_ai.request.model")] += p["sum"]
    models = {c["model"] for c in instrumented(run) if c["error_type"] is None and c["model"] in PRICED}
    models -= unmetered(run)
    assert models
    assert {m for m in models if by_model.get(m, 0) > 0} == models, dict(by_model)
    if not run["lib"].computes_cost:  # derived by the processor: count = operations priced
        counts = Counter()
        for p in points_of(run, COST):
            counts[label(p["attrs"], "gen_ai.request.model")] += p["count"]
        want = Counter(c["model"] for c in instrumented(run) if c["error_type"] is None and c["model"] in models)
        assert {m: counts[m] for m in want} == dict(want), dict(counts)


def test_metric_points_have_unique_attribute_sets(run):
    """OTLP data model: within one metric, no two points share an attribute set and a time (else
    the backend sees one series written twice at once and keeps only one of the values). The
    processor's zero_start point of a series shares its attributes at another time: the start."""
    dups = {}
    for key, pts in run["by_metric"].items():
        seen = Counter((json.dumps(p["attrs"], sort_keys=True), p["time"]) for p in pts)
        if any(n > 1 for n in seen.values()):
            dups[key[0]] = sum(n - 1 for n in seen.values() if n > 1)
    assert not dups, f"duplicate points per metric: {dups}"


def test_cumulative_series_start_with_a_zero_point(run):
    """zero_start: every cumulative GenAI histogram series whose points start before their time has
    a point holding zero at its start time (VictoriaMetrics' increase() then counts the first
    export)."""
    missing = []
    for key, pts in run["by_metric"].items():
        if not key[0].startswith("gen_ai") or pts[0]["kind"] != "histogram":
            continue
        for p in pts:
            attrs = json.dumps(p["attrs"], sort_keys=True)
            if 0 < p["start"] < p["time"] and (key, attrs, p["start"]) not in run["zero_starts"]:
                missing.append((key[0], p["attrs"]))
    assert not missing, f"series without a zero point: {missing[:5]}"


def test_metric_names_and_labels_for_victoriametrics(run):
    """#5: Prometheus-style names and labels, resource labels on every GenAI point."""
    needs_metrics(run)
    names = {p["metric"] for p in run["points"]}
    assert DURATION[0] in names and TOKENS[0] in names and COST[0] in names, sorted(names)
    if any(c["stream"] for c in instrumented(run)) and run["lib"].sdk_name == "openlit":
        assert TTFT[0] in names, sorted(names)
    dotted = sorted(n for n in names if n.startswith("gen_ai."))
    assert not dotted, dotted
    pts = points_of(run, DURATION[:1] + TOKENS[:1] + COST[:1])
    bad = [(p["metric"], sorted(p["attrs"])) for p in pts
           if p["attrs"].get("service_name") != run["service"]
           or p["attrs"].get("deployment_environment") != ENVIRONMENT
           or "telemetry_sdk_name" not in p["attrs"]
           or any("." in k for k in p["attrs"])]
    assert not bad, bad[:5]


def test_request_counts_equal_what_the_app_did(run):
    """Per model and operation: operations counted by the duration histogram = calls made."""
    needs_metrics(run)
    lib = run["lib"]
    def operation(c):
        if lib.metric_embeddings_as_chat_without_provider and c["operation"] == "embeddings":
            return "chat"  # a fact of the library's metrics (harness.Library)
        if c["provider"] in lib.metric_operation_missing_for:
            return None  # likewise
        return c["operation"]

    def model(c):
        if lib.metric_errors_without_model and c["error_type"]:
            return None  # likewise: its error points carry error.type alone
        return c["model"]

    want = Counter((model(c), operation(c) if model(c) else None) for c in instrumented(run)
                   if c["error_type"] is None or lib.errors_in_metrics)
    got = Counter()
    errors = Counter()
    for p in points_of(run, DURATION):
        key = (label(p["attrs"], "gen_ai.request.model"), label(p["attrs"], "gen_ai.operation.name"))
        got[key] += p["count"]
        if label(p["attrs"], "error.type"):
            errors[key[0]] += p["count"]
    assert got == want
    if lib.errors_in_metrics:
        assert errors == Counter(model(c) for c in instrumented(run) if c["error_type"]), errors


def test_token_totals_equal_what_the_app_did(run):
    """Per model and token type: the token sums the dashboard reads = the API's usage.

    Typed points of gen_ai_client_token_usage are the source. OpenLIT <= 1.36 writes that
    histogram without gen_ai.token.type (input + output together) and the per-type totals in
    its legacy counters; for it the untyped histogram must hold input + output and the
    (upgraded) counters the per-type sums."""
    needs_metrics(run)
    calls = [c for c in instrumented(run) if c["error_type"] is None]
    estimated = unmetered(run)
    want = Counter()
    for c in calls:
        if c["model"] in estimated:
            continue
        want[(c["model"], "input")] += span_input_tokens(run["lib"], c)
        if c["operation"] == "chat":
            want[(c["model"], "output")] += c["output_tokens"]
    typed, untyped = Counter(), Counter()
    for p in points_of(run, TOKENS):
        model = label(p["attrs"], "gen_ai.request.model")
        if model in estimated:
            continue
        token_type = label(p["attrs"], "gen_ai.token.type")
        if token_type:
            typed[(model, token_type)] += int(p["sum"])
        else:
            untyped[model] += int(p["sum"])
    if untyped:
        assert not typed, "mixed typed and untyped token points"
        assert untyped == Counter({m: want[(m, "input")] + want[(m, "output")] for m, _ in want}), untyped
        legacy = {"input": LEGACY_INPUT, "output": LEGACY_OUTPUT}
        for (model, token_type), v in want.items():
            got = sum(p["value"] for p in points_of(run, legacy[token_type])
                      if label(p["attrs"], "gen_ai.request.model") == model)
            assert got == v, (model, token_type, got, v)
        return
    assert typed == want


def test_log_events_delivered(run):
    """Where the library emits log events (see its captured fixture), they come through, tagged."""
    if not (CAPTURED / run["lib"].name / "logs.json").exists():
        assert run["logs"] == []
        return
    assert run["logs"]
    assert all(lr["resource"].get("service.name") == run["service"] for lr in run["logs"])
    assert all(lr["resource"].get("deployment.environment") == ENVIRONMENT for lr in run["logs"])


@pytest.mark.parametrize("lib", [lib for lib in LIBRARIES if lib.computes_cost], ids=lambda lib: lib.name)
def test_library_cost_compared_with_processor(lib, tmp_path, tmp_path_factory):
    """#8: OpenLIT computes its own cost from its own table; the processor keeps it by default.
    Run the app again with `cost.override: true` and compare both figures per call: they must
    agree where both price the same tokens at the same list price (uncached gpt-4o-mini); the
    whole comparison is written to build/realinstr/<library>-cost-comparison.json."""
    run = run_once(lib, tmp_path_factory)
    ours = run_through_collector(lib, tmp_path, ("yaml:processors::genai::cost::override: true",))
    key = ("gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens")

    def costs(r):
        return {tuple(s["attrs"].get(k) for k in key): s["attrs"].get("gen_ai.usage.cost")
                for s in genai_spans(r) if s["status"] != "STATUS_CODE_ERROR" and "gen_ai.usage.input_tokens" in s["attrs"]}

    theirs, mine = costs(run), costs(ours)
    rows = [{"model": k[0], "input_tokens": k[1], "output_tokens": k[2],
             "library_cost": theirs.get(k), "processor_cost": mine.get(k)} for k in theirs]
    report = REPO / "build" / "realinstr" / f"{lib.name}-cost-comparison.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(rows, indent=2) + "\n")
    print(json.dumps(rows, indent=1))
    assert set(mine) == set(theirs)
    call = next(c for c in run["manifest"]["calls"] if c["name"] == "chat-mini")
    k = (call["model"], call["input_tokens"], call["output_tokens"])
    assert math.isclose(theirs[k], mine[k], rel_tol=1e-9), (theirs[k], mine[k])
    priced = [r for r in rows if r["model"] in PRICED]
    assert all(isinstance(r["processor_cost"], float) and r["processor_cost"] > 0 for r in priced), priced
