"""The workload instrumented by OpenInference (openinference-instrumentation-openai, Arize Phoenix).

Set up as OpenInference's docs show: a TracerProvider with a BatchSpanProcessor around the
OTLP/HTTP (protobuf) span exporter, then ``OpenAIInstrumentor().instrument(tracer_provider=...)``.
Traces only: OpenInference records no metrics and no logs. It instruments the ``openai`` client
alone (Anthropic has a package of its own), so the workload's Anthropic call is not made.

Environment: OTEL_EXPORTER_OTLP_ENDPOINT, FAKE_OPENAI_URL, GENAI_SERVICE_NAME, GENAI_ENVIRONMENT,
GENAI_MANIFEST (see workload.py).
"""

import os
import sys
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workload  # noqa: E402
from openinference.instrumentation.openai import OpenAIInstrumentor  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402


def main() -> None:
    resource = Resource.create(
        {
            "service.name": os.environ.get("GENAI_SERVICE_NAME", "realinstr-openinference"),
            "deployment.environment": os.environ.get("GENAI_ENVIRONMENT", "test"),
        }
    )
    # The exporter takes its endpoint from OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces).
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))

    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider)
    calls = workload.run(include_anthropic=False)

    tracer_provider.shutdown()  # flushes the batch processor
    workload.write_manifest(calls, "openinference-instrumentation-openai", version("openinference-instrumentation-openai"))


if __name__ == "__main__":
    main()
