"""The workload through LiteLLM (the Python SDK) with its OpenTelemetry callback.

Configured as LiteLLM's docs tell users to: ``litellm.callbacks = ["otel"]``, the exporter set
up from the environment (litellm/integrations/opentelemetry.py, ``OpenTelemetryConfig.from_env``):
  OTEL_EXPORTER_OTLP_PROTOCOL (else OTEL_EXPORTER)  "http/protobuf": the OTLP/HTTP exporters
  OTEL_EXPORTER_OTLP_ENDPOINT (else OTEL_ENDPOINT)  base URL; LiteLLM adds /v1/traces, /v1/metrics
  OTEL_SERVICE_NAME / OTEL_ENVIRONMENT_NAME         resource service.name / deployment.environment
                                                    (set here from GENAI_SERVICE_NAME / _ENVIRONMENT)
  LITELLM_OTEL_INTEGRATION_ENABLE_METRICS=true      also the gen_ai.client.* histograms (off by
                                                    default: spans only); exported every 5 s, fixed
  OTEL_EXPORTER_OTLP_HEADERS (else OTEL_HEADERS)    not needed here
Every call of workload.py goes through ``litellm.completion`` (streamed or not) or
``litellm.embedding`` to the fake server (api_base FAKE_OPENAI_URL/v1, OpenAI-compatible), the
Anthropic call through ``litellm.completion(model="anthropic/...")`` to the fake server's
/v1/messages. The usage headers go along as ``extra_headers``, as the openai client's are.

LiteLLM runs its success/failure callbacks on a thread pool after each call returns; the app
waits for them before it shuts the providers down (which flushes the batch span processor and
the last metrics).
"""

import os
import sys
import time
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workload  # noqa: E402

os.environ.setdefault("OTEL_SERVICE_NAME", os.environ.get("GENAI_SERVICE_NAME", "realinstr-litellm"))
os.environ.setdefault("OTEL_ENVIRONMENT_NAME", os.environ.get("GENAI_ENVIRONMENT", "test"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # the bundled price map: offline

import litellm  # noqa: E402


def call_litellm(call: workload.Call, base: str) -> None:
    common = dict(api_key="test", extra_headers=call.headers(), num_retries=0, timeout=30)
    if call.sdk == "anthropic":
        litellm.completion(
            model="anthropic/" + call.model,
            messages=workload.MESSAGES,
            max_tokens=100,
            api_base=base,
            **common,
        )
    elif call.operation == "embeddings":
        litellm.embedding(model="openai/" + call.model, input=call.inputs, api_base=base + "/v1", **common)
    elif call.stream:
        stream = litellm.completion(
            model="openai/" + call.model,
            messages=workload.MESSAGES,
            stream=True,
            **({"stream_options": {"include_usage": True}} if call.include_usage else {}),
            max_tokens=100,
            temperature=0.2,
            api_base=base + "/v1",
            **common,
        )
        for _ in stream:  # consume fully: LiteLLM logs the call when the stream ends
            pass
    else:
        litellm.completion(
            model="openai/" + call.model,
            messages=workload.MESSAGES,
            max_tokens=100,
            temperature=0.2,
            api_base=base + "/v1",
            **common,
        )


def wait_for_callbacks() -> None:
    """Wait until LiteLLM's logging threads have run every callback queued so far."""
    from litellm.litellm_core_utils.thread_pool_executor import executor

    executor.submit(lambda: None).result(timeout=30)  # FIFO: queued after the pending ones
    deadline = time.monotonic() + 30
    while getattr(executor, "_work_queue", None) is not None and not executor._work_queue.empty():
        if time.monotonic() > deadline:
            raise RuntimeError("LiteLLM's logging callbacks did not finish")
        time.sleep(0.01)
    time.sleep(0.05)  # a callback that ran concurrently with the marker finishes


def main() -> None:
    litellm.callbacks = ["otel"]
    # o3-mini takes no temperature: LiteLLM refuses the call unless told to drop what a model
    # does not support (the openai client sends it and the fake server ignores it).
    litellm.drop_params = True
    base = os.environ["FAKE_OPENAI_URL"].rstrip("/")
    # after each call, wait for its spans: their order is then the same every run
    calls = workload.run(include_anthropic=True, make_call=lambda c: call_litellm(c, base),
                         after_call=wait_for_callbacks)
    workload.shutdown_global_providers()
    workload.write_manifest(calls, "litellm", version("litellm"))


if __name__ == "__main__":
    main()
