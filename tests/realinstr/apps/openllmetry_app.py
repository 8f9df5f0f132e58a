"""The workload instrumented by OpenLLMetry (Traceloop's traceloop-sdk).

Set up as Traceloop's docs tell users to export to their own OpenTelemetry collector: one
``Traceloop.init(app_name=..., api_endpoint=<collector>)`` call, which (traceloop/sdk/__init__.py,
tracing/tracing.py, metrics/metrics.py, config/__init__.py) does the rest:
  traces   a TracerProvider (set as the global one) with a BatchSpanProcessor
           (disable_batch=False) and, for an http(s):// endpoint, the OTLP/HTTP protobuf exporter
           to <api_endpoint>/v1/traces (no scheme would mean gRPC)
  metrics  on unless TRACELOOP_METRICS_ENABLED=false (and, with a custom span exporter, only
           with a custom metrics exporter): a MeterProvider (set as the global one) with a
           PeriodicExportingMetricReader (interval from OTEL_METRIC_EXPORT_INTERVAL; the SDK's
           default, cumulative, temporality) and the OTLP/HTTP exporter to
           <TRACELOOP_METRICS_ENDPOINT or api_endpoint>/v1/metrics; one View gives
           gen_ai.client.token.usage explicit buckets (1, 4, 16 ... 67108864), the others keep
           the metrics SDK's defaults
  logs     off unless TRACELOOP_LOGGING_ENABLED=true (it would export Python logging records,
           not GenAI events: prompts and completions are span attributes, use_attributes=True)
  resource Resource.create(resource_attributes) with service.name = app_name (it overrides a
           service.name given in resource_attributes); deployment.environment here
Every instrumentation it bundles is enabled by default (instruments=None); of those, the openai
and anthropic ones find their client installed and patch it. Traceloop's own API client is only
made for a traceloop.com endpoint with an API key: none here.

Environment: OTEL_EXPORTER_OTLP_ENDPOINT (passed as api_endpoint), OTEL_METRIC_EXPORT_INTERVAL,
FAKE_OPENAI_URL, GENAI_SERVICE_NAME, GENAI_ENVIRONMENT, GENAI_MANIFEST (see workload.py).
"""

import os
import sys
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workload  # noqa: E402
from traceloop.sdk import Traceloop  # noqa: E402


def main() -> None:
    Traceloop.init(
        app_name=os.environ.get("GENAI_SERVICE_NAME", "realinstr-openllmetry"),
        api_endpoint=os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"],
        disable_batch=False,
        telemetry_enabled=False,
        resource_attributes={"deployment.environment": os.environ.get("GENAI_ENVIRONMENT", "test")},
    )
    calls = workload.run(include_anthropic=True)

    # Traceloop flushes spans at exit (atexit) and the metrics SDK its reader at exit too; shut
    # the global providers down here all the same, before the manifest says the run is complete.
    workload.shutdown_global_providers()
    workload.write_manifest(calls, "traceloop-sdk", version("traceloop-sdk"))


if __name__ == "__main__":
    main()
