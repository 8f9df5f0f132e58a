"""What the capture script and the pytest share: the libraries under test and how to run an app.

Every Python library runs in its own venv made by scripts/setup-pyenv.sh (build/pyenv/<venv>),
as an unmodified user app would: the app process exports OTLP/HTTP protobuf to ``endpoint``.
A Node library (runtime "node") runs ``node node/<app>`` with the packages scripts/setup-node.sh
installs in tests/realinstr/node/node_modules; it gets workload.py's call list as JSON
($GENAI_WORKLOAD_CALLS), so every app makes the same calls.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
APPS = HERE / "apps"
NODE_DIR = HERE / "node"  # the Node apps' npm project (package.json, package-lock.json)
PYENV_ROOT = Path(os.environ.get("GENAI_PYENV_DIR", REPO / "build" / "pyenv"))
# OpenLIT's price table, cut down to the workload's models (written by capture.py from
# ../shared/pricing/openlit-pricing.json when that exists): OpenLIT computes its own cost from it,
# offline and the same every run.
OPENLIT_PRICING = HERE / "openlit-pricing-subset.json"


@dataclass(frozen=True)
class Library:
    """One instrumentation library set-up: which venv, which app, which extra environment."""

    name: str  # fixture directory name: <library>-<version>[-variant]
    venv: str  # runtime "python": build/pyenv/<venv>; "node": a label only (the npm project is NODE_DIR)
    app: str  # python: apps/<app>; node: node/<app>
    env: dict[str, str] = field(default_factory=dict)
    sdk_name: str = "opentelemetry"  # resource telemetry.sdk.name the library sets
    computes_cost: bool = False  # does the library write gen_ai.usage.cost itself?
    # operations the library does not instrument at all (no span, no metric)
    uninstrumented: frozenset[str] = frozenset()
    # does the library record failed calls in its metrics (duration with error.type)?
    errors_in_metrics: bool = True
    # does the library record token usage of streamed calls in its metrics?
    stream_tokens_in_metrics: bool = True
    # does the library send metrics at all? (OpenInference and the Vercel AI SDK: traces only)
    sends_metrics: bool = True
    runtime: str = "python"  # "python" (the venv's interpreter) or "node"
    # Anthropic calls: does gen_ai.usage.input_tokens include the cache reads and writes, which
    # Anthropic's API counts apart? (The Vercel AI SDK adds them up; OpenLIT does not.)
    anthropic_input_includes_cache: bool = False
    # is the order of its timestamps the same every run? (capture.py keeps only their order;
    # the Vercel AI SDK's is not: its outer ai.embedMany span ends before or after the inner
    # ai.embedMany.doEmbed, its spans start in the same or different milliseconds)
    stable_time_order: bool = True
    # LiteLLM's metrics label an embeddings call `chat` and give its points no provider (its
    # spans are right: the genai connector derives exact metrics from them, docs/connector.md)
    metric_embeddings_as_chat_without_provider: bool = False
    # OpenLLMetry's openai instrumentation records a failed call in its duration histogram with
    # error.type as the point's only attribute: no model, provider or operation (the metric
    # attributes of the call are set only from a response)
    metric_errors_without_model: bool = False
    # providers whose metric points name no gen_ai.operation.name (OpenLLMetry's anthropic
    # instrumentation: provider, response model and token type only; its spans say "chat")
    metric_operation_missing_for: frozenset[str] = frozenset()

    @property
    def python(self) -> Path:
        return PYENV_ROOT / self.venv / "bin" / "python"

    @property
    def command(self) -> list[str]:
        if self.runtime == "node":
            return [os.environ.get("GENAI_NODE") or shutil.which("node") or "node", str(NODE_DIR / self.app)]
        return [str(self.python), str(APPS / self.app)]

    def missing(self) -> str | None:
        """Why the app cannot run here (what to set up), or None."""
        if self.runtime == "node":
            if not shutil.which(self.command[0]):
                return "node not found (Node >= 20; or set GENAI_NODE)"
            if not (NODE_DIR / "node_modules" / ".stamp").exists():
                return f"{NODE_DIR / 'node_modules'} missing: run scripts/setup-node.sh"
            return None
        if not self.python.exists():
            return f"venv missing: {self.python} (run scripts/setup-pyenv.sh {self.venv})"
        return None


LIBRARIES: list[Library] = [
    Library("openlit-1.45.0", "openlit-1.45.0", "openlit_app.py", sdk_name="openlit", computes_cost=True),
    # OpenLIT 1.33 crashes on a stream's usage chunk (choices == []): stream without it there.
    Library(
        "openlit-1.33.23",
        "openlit-1.33.23",
        "openlit_app.py",
        env={"GENAI_STREAM_INCLUDE_USAGE": "0"},
        sdk_name="openlit",
        computes_cost=True,
        errors_in_metrics=False,
    ),
    Library("otel-openai-v2-2.4b0", "otel-openai-v2-2.4b0", "otel_openai_v2_app.py"),
    Library(
        "otel-openai-v2-2.4b0-latest-experimental",
        "otel-openai-v2-2.4b0",
        "otel_openai_v2_app.py",
        env={"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"},
    ),
    # An older official release (pre util-genai): the gen_ai.system era.
    Library(
                "otel-openai-v2-2.1b0",
        "otel-openai-v2-2.1b0",
        "otel_openai_v2_app.py",
        uninstrumented=frozenset({"embeddings"}),
        stream_tokens_in_metrics=False,
    ),
    # Traces only (no metrics, no logs). OpenInference's OpenAI instrumentation patches the
    # openai client alone: the app makes no Anthropic call.
    Library(
        "openinference-0.1.66",
        "openinference-0.1.66",
        "openinference_app.py",
        sends_metrics=False,
    ),
    # The Vercel AI SDK 6 (Node): its own spans (experimental_telemetry), exported by the
    # OpenTelemetry JS NodeSDK; traces only. It makes the Anthropic call too (@ai-sdk/anthropic).
    Library(
        "vercel-ai-6.0.333",
        "node",
        "vercel_ai_app.mjs",
        runtime="node",
        sends_metrics=False,
        anthropic_input_includes_cache=True,
        stable_time_order=False,
    ),
    # LiteLLM (the Python SDK) with its OpenTelemetry callback (litellm.callbacks = ["otel"]):
    # by default spans only, a litellm_request span per call with a raw_gen_ai_request child.
    # It makes the Anthropic call too (litellm.completion(model="anthropic/...")).
    Library(
        "litellm-1.110.2",
        "litellm-1.110.2",
        "litellm_app.py",
        sends_metrics=False,
        anthropic_input_includes_cache=True,
    ),
    # The same with LITELLM_OTEL_INTEGRATION_ENABLE_METRICS=true: the gen_ai.client.* histograms
    # and its own gen_ai.usage.cost histogram, recorded for successful calls only.
    Library(
        "litellm-1.110.2-metrics",
        "litellm-1.110.2",
        "litellm_app.py",
        env={"LITELLM_OTEL_INTEGRATION_ENABLE_METRICS": "true"},
        computes_cost=True,
        errors_in_metrics=False,
        metric_embeddings_as_chat_without_provider=True,
        anthropic_input_includes_cache=True,
    ),
    # OpenLLMetry (Traceloop's traceloop-sdk) as its docs set it up for one's own collector:
    # Traceloop.init(api_endpoint=<collector>), metrics on (its default).
    Library(
        "openllmetry-0.62.4",
        "openllmetry-0.62.4",
        "openllmetry_app.py",
        # anthropic >= 2 traces its own API calls (scope com.anthropic.sdk.python, a CLIENT span
        # with gen_ai.operation.name, model and usage) into the global tracer provider, on by
        # default: beside OpenLLMetry's anthropic.chat span that is a second span for the one call.
        # Off here (its documented switch), so the fixture holds OpenLLMetry's output alone.
        env={"ANTHROPIC_OPEN_TELEMETRY": "false"},
        # its anthropic instrumentation's gen_ai.usage.input_tokens (span and token metric) is
        # input + cache reads + cache writes
        anthropic_input_includes_cache=True,
        metric_errors_without_model=True,
        metric_operation_missing_for=frozenset({"anthropic"}),
    ),
]
BY_NAME = {lib.name: lib for lib in LIBRARIES}


def run_app(
    lib: Library,
    endpoint: str,
    fake_url: str,
    manifest: Path,
    service_name: str,
    environment: str,
    timeout: float = 300,
) -> dict:
    """Run one app to completion; return its manifest (what it did). Raises on failure."""
    why = lib.missing()
    if why:
        raise FileNotFoundError(why)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENLIT_"))}
    env.update(
        {
            "FAKE_OPENAI_URL": fake_url,
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            # A round's spans leave in one export, at shutdown, rather than in two when the batch
            # span processor's 5 s timer fires mid-round: the connector's series born in a round
            # then share their start, which the rate() ratio of "Error Rate %" (ref A) needs to
            # equal the app's error rate (docs/connector.md, "Several replicas and restarts").
            "OTEL_BSP_SCHEDULE_DELAY": "60000",
            "GENAI_SERVICE_NAME": service_name,
            "GENAI_ENVIRONMENT": environment,
            "GENAI_OPENLIT_PRICING": str(OPENLIT_PRICING),
            "GENAI_MANIFEST": str(manifest),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(lib.env)
    if lib.runtime == "node":
        # workload.py's calls (stdlib only: any Python runs it), with the app's environment
        calls = manifest.with_name(manifest.stem + "-workload.json")
        calls.write_text(
            subprocess.run(
                [sys.executable, str(APPS / "workload.py"), "--anthropic"],
                env=env, capture_output=True, text=True, check=True,
            ).stdout
        )
        env["GENAI_WORKLOAD_CALLS"] = str(calls)
    proc = subprocess.run(lib.command, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib.name} app failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    if "Failed to export" in proc.stderr:
        print(f"[{lib.name}] exporter errors:\n{proc.stderr[-3000:]}", file=sys.stderr)
    return json.loads(manifest.read_text())
