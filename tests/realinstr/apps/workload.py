"""The fixed set of LLM calls every instrumented app makes, and the record of what it did.

Library-neutral: each app sets up its instrumentation, then calls :func:`run`. The calls go to
the fake server (``FAKE_OPENAI_URL``, e.g. ``http://127.0.0.1:PORT``); each one tells the fake
server which usage to report, so the expected token counts are known here, exactly.

:func:`run` returns (and :func:`write_manifest` stores as JSON) one entry per call: operation,
provider, request model, streaming flag, tokens and error type. Tests compare the telemetry the
collector exported with this manifest rather than with numbers copied into the test.

The call list is the one source of truth for apps in other languages too: ``python workload.py
[--anthropic]`` prints it as JSON (:func:`dump`: every Call field plus the request headers), and
the harness hands that to a Node app in a file (``GENAI_WORKLOAD_CALLS``, see harness.run_app).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable


@dataclass
class Call:
    """One LLM call the workload makes and the usage the fake server reports for it."""

    name: str
    operation: str  # canonical gen_ai.operation.name
    provider: str  # canonical gen_ai.provider.name the call should end up with
    model: str
    stream: bool = False
    input_tokens: int = 0  # what the API reports as prompt/input tokens (OpenAI: includes cached)
    output_tokens: int = 0  # completion tokens (OpenAI: includes reasoning)
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_creation_tokens: int = 0
    ttft_ms: int = 0
    status: int = 200
    error_type: str | None = None  # set for failing calls: the exception class name
    sdk: str = "openai"  # which client library makes the call
    inputs: list[str] = field(default_factory=list)  # embeddings only
    # streaming only: ask for the usage chunk. OpenLIT 1.33 crashes on it (IndexError on the
    # usage chunk's empty choices) and estimates tokens itself, so its app turns this off and
    # the tokens the library reports for these calls are not the API's.
    include_usage: bool = True

    def headers(self) -> dict[str, str]:
        usage = (
            f"prompt={self.input_tokens},completion={self.output_tokens},"
            f"cached={self.cached_tokens},reasoning={self.reasoning_tokens},"
            f"cache_creation={self.cache_creation_tokens}"
        )
        h = {"x-fake-usage": usage}
        if self.status != 200:
            h["x-fake-status"] = str(self.status)
        if self.ttft_ms:
            h["x-fake-ttft-ms"] = str(self.ttft_ms)
        return h


# The fixed workload. Token numbers are distinct per call so a wrong attribution shows.
OPENAI_CALLS: list[Call] = [
    Call("chat-mini", "chat", "openai", "gpt-4o-mini", input_tokens=100, output_tokens=50),
    Call("chat-mini-cached", "chat", "openai", "gpt-4o-mini", input_tokens=120, output_tokens=30, cached_tokens=40),
    Call("stream-4o", "chat", "openai", "gpt-4o", stream=True, input_tokens=200, output_tokens=80, ttft_ms=120),
    Call("stream-4o-cached", "chat", "openai", "gpt-4o", stream=True, input_tokens=300, output_tokens=60, cached_tokens=100),
    Call("chat-o3-mini-reasoning", "chat", "openai", "o3-mini", input_tokens=60, output_tokens=90, reasoning_tokens=64),
    # another vendor's model through the OpenAI-compatible API: libraries still say "openai"
    Call("chat-deepseek-compat", "chat", "openai", "deepseek-chat", input_tokens=50, output_tokens=25),
    Call("embed-small", "embeddings", "openai", "text-embedding-3-small", input_tokens=8, inputs=["alpha", "beta"]),
    Call("fail-429", "chat", "openai", "gpt-4o-mini", input_tokens=0, status=429, error_type="RateLimitError"),
    Call("fail-500", "chat", "openai", "gpt-4o", stream=False, status=500, error_type="InternalServerError"),
]
ANTHROPIC_CALLS: list[Call] = [
    Call(
        "anthropic-haiku",
        "chat",
        "anthropic",
        "claude-3-5-haiku-latest",
        input_tokens=40,
        output_tokens=20,
        cached_tokens=10,
        cache_creation_tokens=5,
        sdk="anthropic",
    ),
]

MESSAGES = [{"role": "user", "content": "Say hello."}]


def _openai_call(client: Any, call: Call) -> None:
    if call.operation == "embeddings":
        client.embeddings.create(model=call.model, input=call.inputs, extra_headers=call.headers())
    elif call.stream:
        stream = client.chat.completions.create(
            model=call.model,
            messages=MESSAGES,
            stream=True,
            **({"stream_options": {"include_usage": True}} if call.include_usage else {}),
            max_tokens=100,
            temperature=0.2,
            extra_headers=call.headers(),
        )
        for _ in stream:  # consume fully: instrumentations finish the span at the end
            pass
    else:
        client.chat.completions.create(
            model=call.model, messages=MESSAGES, max_tokens=100, temperature=0.2, extra_headers=call.headers()
        )


def _anthropic_call(client: Any, call: Call) -> None:
    client.messages.create(model=call.model, max_tokens=100, messages=MESSAGES, extra_headers=call.headers())


def calls_for(include_anthropic: bool = False) -> list[Call]:
    """The calls an app makes, in order (GENAI_STREAM_INCLUDE_USAGE=0: streams without usage)."""
    include_usage = os.environ.get("GENAI_STREAM_INCLUDE_USAGE", "1") != "0"
    calls = [replace(c, include_usage=include_usage) if c.stream else c for c in OPENAI_CALLS]
    if include_anthropic:
        calls += ANTHROPIC_CALLS
    return calls


def dump(include_anthropic: bool = False) -> str:
    """The call list as JSON, for apps that are not Python: each Call's fields plus ``headers``
    (what to send so the fake server answers as the call expects) and the shared ``messages``."""
    doc = {
        "messages": MESSAGES,
        "calls": [dict(asdict(c), headers=c.headers()) for c in calls_for(include_anthropic)],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def run(include_anthropic: bool = False, make_call: Callable[[Call], None] | None = None,
        after_call: Callable[[], None] | None = None) -> list[Call]:
    """Make every call of the workload; return the calls made (errors are expected, not raised).

    By default through the ``openai`` and ``anthropic`` clients; ``make_call`` makes one call
    another way (LiteLLM's app: through ``litellm.completion``). ``after_call`` runs after each."""
    base = os.environ["FAKE_OPENAI_URL"].rstrip("/")
    client = None
    if make_call is None:
        import openai  # imported late: the instrumentation must patch it first

        client = openai.OpenAI(base_url=base + "/v1", api_key="sk-fake", max_retries=0, timeout=30)
    calls = calls_for(include_anthropic)
    anthropic_client = None
    # Optional pause after the first call (GENAI_FIRST_CALL_PAUSE_MS): the first metric export then
    # holds that call alone, and the later calls of its series show up as an increase, which
    # rate() needs (it has nothing to compare a series' first sample with).
    pause_ms = int(os.environ.get("GENAI_FIRST_CALL_PAUSE_MS", "0"))
    for i, call in enumerate(calls):
        if i == 1 and pause_ms > 0:
            time.sleep(pause_ms / 1000)
        try:
            if make_call is not None:
                make_call(call)
            elif call.sdk == "anthropic":
                if anthropic_client is None:
                    import anthropic

                    anthropic_client = anthropic.Anthropic(base_url=base, api_key="sk-fake", max_retries=0, timeout=30)
                _anthropic_call(anthropic_client, call)
            else:
                _openai_call(client, call)
        except Exception as e:  # noqa: BLE001 - failing calls are part of the workload
            if call.error_type is None:
                raise
            if type(e).__name__ != call.error_type:
                raise RuntimeError(f"{call.name}: expected {call.error_type}, got {type(e).__name__}: {e}") from e
        else:
            if call.error_type is not None:
                raise RuntimeError(f"{call.name}: expected {call.error_type}, call succeeded")
        if after_call is not None:
            after_call()
    return calls


def shutdown_global_providers() -> None:
    """Shut down the global tracer, meter and logger providers the instrumentation set up: flushes
    the last spans, the final collection of the cumulative metrics and the log records (each
    provider that has no shutdown, e.g. a no-op one, is left alone)."""
    from opentelemetry import _logs, metrics, trace

    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider(), _logs.get_logger_provider()):
        shutdown = getattr(provider, "shutdown", None)
        if shutdown:
            shutdown()


def write_manifest(calls: list[Call], library: str, version: str) -> None:
    """Store what the app did at $GENAI_MANIFEST (if set)."""
    path = os.environ.get("GENAI_MANIFEST")
    if not path:
        return
    doc = {"library": library, "version": version, "calls": [asdict(c) for c in calls]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    import sys

    sys.stdout.write(dump(include_anthropic="--anthropic" in sys.argv[1:]))
