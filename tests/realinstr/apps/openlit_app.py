"""The workload instrumented by OpenLIT (any version: 1.45 and the pre-rename 1.33 alike).

Configured the way OpenLIT's docs tell users to: ``openlit.init(...)`` with an OTLP endpoint,
an application (service) name and an environment. Environment the runner sets:
  OTEL_EXPORTER_OTLP_ENDPOINT  base URL of the OTLP/HTTP receiver (collector or capture sink)
  OTEL_METRIC_EXPORT_INTERVAL  metric export period in ms (short, so metrics flow during the run)
  FAKE_OPENAI_URL              the fake OpenAI server
  GENAI_SERVICE_NAME / GENAI_ENVIRONMENT   service.name / deployment.environment
  GENAI_OPENLIT_PRICING        pricing JSON file for OpenLIT's own cost (else OpenLIT fetches
                               one from the internet, which fails offline and gives cost 0)
  GENAI_MANIFEST               where to write what the app did (see workload.py)
"""

import inspect
import os
import sys
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import openlit  # noqa: E402
import workload  # noqa: E402


def main() -> None:
    kwargs = dict(
        application_name=os.environ.get("GENAI_SERVICE_NAME", "realinstr-openlit"),
        environment=os.environ.get("GENAI_ENVIRONMENT", "test"),
        otlp_endpoint=os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"],
        disable_batch=True,  # spans leave as they end: nothing left behind at exit
        collect_gpu_stats=False,
    )
    pricing = os.environ.get("GENAI_OPENLIT_PRICING")
    if pricing:
        kwargs["pricing_json"] = pricing
    accepted = inspect.signature(openlit.init).parameters
    openlit.init(**{k: v for k, v in kwargs.items() if k in accepted})

    calls = workload.run(include_anthropic=True)

    # Flush everything before exit: spans, the final cumulative metrics, the log events.
    workload.shutdown_global_providers()
    workload.write_manifest(calls, "openlit", version("openlit"))


if __name__ == "__main__":
    main()
