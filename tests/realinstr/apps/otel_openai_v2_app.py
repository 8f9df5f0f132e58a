"""The workload instrumented by the official opentelemetry-instrumentation-openai-v2.

Set up as the OpenTelemetry Python docs show for manual SDK configuration: a TracerProvider,
MeterProvider and LoggerProvider sharing one Resource (service.name, deployment.environment),
each with the OTLP/HTTP (protobuf) exporter, then ``OpenAIInstrumentor().instrument()``.
The instrumentation itself reads OTEL_SEMCONV_STABILITY_OPT_IN and
OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT; the runner sets or leaves them.

Environment: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_METRIC_EXPORT_INTERVAL, FAKE_OPENAI_URL,
GENAI_SERVICE_NAME, GENAI_ENVIRONMENT, GENAI_MANIFEST (see workload.py).
"""

import os
import sys
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workload  # noqa: E402
from opentelemetry import _logs, metrics, trace  # noqa: E402
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider  # noqa: E402
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402


def main() -> None:
    resource = Resource.create(
        {
            "service.name": os.environ.get("GENAI_SERVICE_NAME", "realinstr-otel-openai-v2"),
            "deployment.environment": os.environ.get("GENAI_ENVIRONMENT", "test"),
        }
    )
    # Exporters take their endpoint from OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/<signal>).
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    # Export period from OTEL_METRIC_EXPORT_INTERVAL; temporality: the SDK default (cumulative).
    meter_provider = MeterProvider(resource=resource, metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())])
    metrics.set_meter_provider(meter_provider)
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    _logs.set_logger_provider(logger_provider)
    providers = dict(tracer_provider=tracer_provider, meter_provider=meter_provider, logger_provider=logger_provider)
    try:  # releases before util-genai emit through the (since removed) Events API
        from opentelemetry import _events
        from opentelemetry.sdk._events import EventLoggerProvider

        providers["event_logger_provider"] = EventLoggerProvider(logger_provider)
        _events.set_event_logger_provider(providers["event_logger_provider"])
    except ImportError:
        pass

    OpenAIInstrumentor().instrument(**providers)
    calls = workload.run(include_anthropic=False)

    tracer_provider.shutdown()
    meter_provider.shutdown()  # final collection + export of the cumulative metrics
    logger_provider.shutdown()
    workload.write_manifest(calls, "opentelemetry-instrumentation-openai-v2", version("opentelemetry-instrumentation-openai-v2"))


if __name__ == "__main__":
    main()
