"""Run one library's app against the fake OpenAI server and a given OTLP endpoint; print what it did.

    python tests/realinstr/run_app.py --library openlit-1.45.0 --endpoint http://127.0.0.1:4318 \
        --service my-svc --environment my-env [--first-call-pause-ms 2500] [--manifest PATH]

Used by the Go end-to-end test go-shim/e2e/realinstr_test.go (real libraries -> otelcol-genai ->
VictoriaMetrics/VictoriaLogs); stdlib only, any Python >= 3.9 runs it (the app itself runs in
the library's venv from scripts/setup-pyenv.sh, or Node with scripts/setup-node.sh's packages).
Exit status 2: the library's venv (or node_modules) is missing.

Prints one JSON object on stdout:
  library, version, venv, sdk_name, computes_cost, sends_metrics  - the library set-up
                  (harness.LIBRARIES)
  calls: every call the app made (workload.Call fields) plus
    in_metrics  - the library records the call in its operation-duration metric
    tokens      - how its token usage reaches the token metric: "exact" (the API's usage),
                  "estimated" (the library counted itself: OpenLIT 1.33 streams without the
                  usage chunk), "none" (not recorded: failed calls, openai-v2 2.1b0 streams,
                  uninstrumented operations, libraries that send no metrics)
  summary: what the metrics must add up to, for people reading the output: requests per
    model/provider/operation/environment, errors, exact input/output tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_openai import FakeOpenAI  # noqa: E402
from harness import BY_NAME, Library, run_app  # noqa: E402


def describe(lib: Library, call: dict) -> dict:
    """The call plus how the library records it in its metrics (see the module doc)."""
    instrumented = call["operation"] not in lib.uninstrumented
    failed = call["error_type"] is not None
    in_metrics = lib.sends_metrics and instrumented and (not failed or lib.errors_in_metrics)
    if not in_metrics or failed or (call["stream"] and not lib.stream_tokens_in_metrics):
        tokens = "none"
    elif call["stream"] and not call["include_usage"]:
        tokens = "estimated"
    else:
        tokens = "exact"
    return dict(call, in_metrics=in_metrics, tokens=tokens)


def summarize(calls: list[dict], environment: str) -> dict:
    counted = [c for c in calls if c["in_metrics"]]

    def by(key: str) -> dict:
        return dict(Counter(c[key] for c in counted))

    exact = [c for c in calls if c["tokens"] == "exact"]
    return {
        "requests": len(counted),
        "requests_by_model": by("model"),
        "requests_by_provider": by("provider"),
        "requests_by_operation": by("operation"),
        "requests_by_environment": {environment: len(counted)},
        "errors": sum(1 for c in counted if c["error_type"]),
        "exact_input_tokens": sum(c["input_tokens"] for c in exact),
        "exact_output_tokens": sum(c["output_tokens"] for c in exact if c["operation"] == "chat"),
        "estimated_calls": sum(1 for c in calls if c["tokens"] == "estimated"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--library", required=True, choices=sorted(BY_NAME))
    ap.add_argument("--endpoint", required=True, help="OTLP/HTTP base URL, e.g. http://127.0.0.1:4318")
    ap.add_argument("--service", required=True)
    ap.add_argument("--environment", required=True)
    ap.add_argument("--first-call-pause-ms", type=int, default=0,
                    help="pause after the app's first call (see apps/workload.py)")
    ap.add_argument("--manifest", help="where the app writes its manifest (default: a temporary file)")
    args = ap.parse_args()

    lib = BY_NAME[args.library]
    os.environ["GENAI_FIRST_CALL_PAUSE_MS"] = str(args.first_call_pause_ms)  # run_app passes GENAI_* on
    why = lib.missing()
    if why:
        print(why, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        manifest_path = Path(args.manifest or Path(tmp) / "manifest.json")
        fake = FakeOpenAI().start()
        try:
            manifest = run_app(lib, args.endpoint, fake.url, manifest_path, args.service, args.environment)
        finally:
            fake.stop()
    calls = [describe(lib, c) for c in manifest["calls"]]
    out = {
        "library": lib.name,
        "package": manifest["library"],
        "version": manifest["version"],
        "venv": lib.venv,
        "sdk_name": lib.sdk_name,
        "computes_cost": lib.computes_cost,
        "sends_metrics": lib.sends_metrics,
        "service": args.service,
        "environment": args.environment,
        "calls": calls,
        "summary": summarize(calls, args.environment),
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
