"""A deterministic fake of the OpenAI HTTP API, for driving real instrumentation libraries.

Serves on 127.0.0.1 (stdlib only, one thread per request):

- ``POST /v1/chat/completions``: plain, or streamed as server-sent events; with
  ``stream_options.include_usage`` the last chunk carries the usage, as OpenAI does.
- ``POST /v1/embeddings``: float or base64 vectors (the ``openai`` client asks for base64).
- ``POST /v1/messages``: Anthropic's Messages API (not streamed), for a second provider's SDK.
- ``GET /_requests``: every request received so far (path, model, stream flag, status), so a
  test can check what the app really sent.

The test chooses each response through request headers (the ``openai`` client sends them with
``extra_headers=``), so one server serves every scenario and stays stateless:

- ``x-fake-usage: prompt=120,completion=30,cached=20,reasoning=10,cache_creation=0`` - the
  usage reported. Missing fields default to the model's entry in :data:`DEFAULT_USAGE`
  (or prompt 10, completion 20), and 0 for the rest.
- ``x-fake-status: 429`` (or 500, ...) - answer with that HTTP error and an OpenAI error body.
- ``x-fake-ttft-ms: 150`` - sleep this long before the first byte (first chunk when streaming).
- ``x-fake-response-model: gpt-4o-mini-2024-07-18`` - the model the response names.

Responses are byte-for-byte deterministic: ids count up per server, ``created`` is fixed.

Run standalone: ``python fake_openai.py --port 0`` prints ``listening on http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import itertools
import json
import struct
import threading
import time
from typing import Any

CREATED = 1_700_000_000  # fixed "created" timestamp: responses must not depend on the clock

DEFAULT_USAGE: dict[str, dict[str, int]] = {
    "gpt-4o-mini": {"prompt": 100, "completion": 50},
    "gpt-4o": {"prompt": 200, "completion": 80},
    "text-embedding-3-small": {"prompt": 8, "completion": 0},
}
FALLBACK_USAGE = {"prompt": 10, "completion": 20}
USAGE_FIELDS = ("prompt", "completion", "cached", "reasoning", "cache_creation")
REPLY_WORDS = ["The", " fake", " model", " says", " hello", "."]
EMBEDDING_DIM = 8


def parse_usage(header: str | None, model: str) -> dict[str, int]:
    """Usage for one response: the model's default, overridden by the x-fake-usage header."""
    usage = dict.fromkeys(USAGE_FIELDS, 0)
    usage.update(DEFAULT_USAGE.get(model, FALLBACK_USAGE))
    if header:
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key not in USAGE_FIELDS:
                raise ValueError(f"x-fake-usage: unknown field {key!r}")
            usage[key] = int(value)
    return usage


def openai_usage(u: dict[str, int]) -> dict[str, Any]:
    """The usage object as OpenAI reports it (cached and reasoning are *included* in the totals)."""
    return {
        "prompt_tokens": u["prompt"],
        "completion_tokens": u["completion"],
        "total_tokens": u["prompt"] + u["completion"],
        "prompt_tokens_details": {"cached_tokens": u["cached"], "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": u["reasoning"],
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def embedding_vector(index: int) -> list[float]:
    """A fixed small vector per input position (exactly representable in float32)."""
    return [round((index + 1) * 0.125 * (d + 1), 3) for d in range(EMBEDDING_DIM)]


class FakeOpenAI:
    """The server object: start(), .url / .base_url, requests(), stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What to pass as the openai client's base_url / OPENAI_BASE_URL."""
        return self.url + "/v1"

    def start(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)


class _Handler(http.server.BaseHTTPRequestHandler):
    server_state: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: tests read /_requests instead

    # -- plumbing -------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", "req_fake")
        self.end_headers()
        self.wfile.write(data)

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        return json.loads(raw or b"{}")

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path == "/_requests":
            self._send_json(200, self.server_state.requests())
        elif self.path == "/_health":
            self._send_json(200, {"ok": True})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        try:
            body = self._read_json()
        except ValueError as e:
            self._send_json(400, {"error": {"message": f"bad json: {e}", "type": "invalid_request_error"}})
            return
        model = str(body.get("model", ""))
        status = int(self.headers.get("x-fake-status") or 200)
        stream = bool(body.get("stream"))
        self.server_state.record({"path": self.path, "model": model, "stream": stream, "status": status})
        ttft_ms = int(self.headers.get("x-fake-ttft-ms") or 0)
        if ttft_ms:
            time.sleep(ttft_ms / 1000.0)
        if status != 200:
            self._send_error(status)
            return
        try:
            usage = parse_usage(self.headers.get("x-fake-usage"), model)
        except ValueError as e:
            self._send_json(400, {"error": {"message": str(e), "type": "invalid_request_error"}})
            return
        response_model = self.headers.get("x-fake-response-model") or model
        if self.path == "/v1/chat/completions":
            if stream:
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                self._chat_stream(response_model, usage, include_usage)
            else:
                self._chat(response_model, usage)
        elif self.path == "/v1/embeddings":
            self._embeddings(body, response_model, usage)
        elif self.path == "/v1/messages" and not stream:
            self._anthropic_message(response_model, usage)
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    # -- endpoints ------------------------------------------------------------------------
    def _send_error(self, status: int) -> None:
        kinds = {
            429: ("rate_limit_exceeded", "Rate limit reached for requests (fake)."),
            500: ("server_error", "The server had an error while processing your request (fake)."),
        }
        code, message = kinds.get(status, ("fake_error", f"fake error {status}"))
        self._send_json(status, {"error": {"message": message, "type": code, "param": None, "code": code}})

    def _chat(self, model: str, usage: dict[str, int]) -> None:
        n = self.server_state.next_id()
        self._send_json(
            200,
            {
                "id": f"chatcmpl-fake-{n}",
                "object": "chat.completion",
                "created": CREATED,
                "model": model,
                "system_fingerprint": "fp_fake",
                "service_tier": "default",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(REPLY_WORDS), "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": openai_usage(usage),
            },
        )

    def _chat_stream(self, model: str, usage: dict[str, int], include_usage: bool) -> None:
        n = self.server_state.next_id()
        base = {
            "id": f"chatcmpl-fake-{n}",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "system_fingerprint": "fp_fake",
            "service_tier": "default",
        }
        chunks: list[dict[str, Any]] = []
        first = {"role": "assistant", "content": "", "refusal": None}
        chunks.append({**base, "choices": [{"index": 0, "delta": first, "logprobs": None, "finish_reason": None}]})
        for word in REPLY_WORDS:
            delta = {"content": word}
            chunks.append({**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]})
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]})
        if include_usage:
            chunks.append({**base, "choices": [], "usage": openai_usage(usage)})
        for c in chunks:
            # OpenAI sends usage: null on every chunk when include_usage is on
            if include_usage and "usage" not in c:
                c["usage"] = None
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.send_header("x-request-id", "req_fake")
        self.end_headers()
        for c in chunks:
            self.wfile.write(b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def _anthropic_message(self, model: str, usage: dict[str, int]) -> None:
        # Anthropic reports input_tokens *without* the cache read/creation tokens (additive)
        n = self.server_state.next_id()
        self._send_json(
            200,
            {
                "id": f"msg_fake_{n}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": "".join(REPLY_WORDS)}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": usage["prompt"],
                    "output_tokens": usage["completion"],
                    "cache_read_input_tokens": usage["cached"],
                    "cache_creation_input_tokens": usage["cache_creation"],
                },
            },
        )

    def _embeddings(self, body: dict[str, Any], model: str, usage: dict[str, int]) -> None:
        inputs = body.get("input")
        count = len(inputs) if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else 1
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for i in range(count):
            vec = embedding_vector(i)
            emb: Any = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode() if as_base64 else vec
            data.append({"object": "embedding", "index": i, "embedding": emb})
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": usage["prompt"], "total_tokens": usage["prompt"]},
            },
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    fake = FakeOpenAI(args.host, args.port).start()
    print(f"listening on {fake.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
