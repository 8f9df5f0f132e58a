"""A tiny OTLP/HTTP receiver that keeps every request it gets, for inspecting real exporters.

Accepts ``POST /v1/traces``, ``/v1/metrics`` and ``/v1/logs`` with protobuf bodies (optionally
gzip-compressed, sized by content-length or chunked), answers with the empty ``Export*ServiceResponse`` as the spec says, and stores
the decoded request. Stdlib HTTP server + the ``opentelemetry-proto`` package's classes.

    sink = CaptureSink().start()
    ... point OTEL_EXPORTER_OTLP_ENDPOINT at sink.url ...
    sink.requests("traces")  # -> [ExportTraceServiceRequest, ...] in arrival order
"""

from __future__ import annotations

import gzip
import http.server
import threading
import zlib
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

SIGNALS: dict[str, tuple[Any, Any]] = {
    "traces": (trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
    "metrics": (metrics_service_pb2.ExportMetricsServiceRequest, metrics_service_pb2.ExportMetricsServiceResponse),
    "logs": (logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse),
}


class CaptureSink:
    """OTLP/HTTP server on 127.0.0.1 storing (signal, decoded request, raw body)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.Lock()
        self._received: list[tuple[str, Any, bytes]] = []
        self.errors: list[str] = []
        sink = self

        class Handler(_Handler):
            owner = sink

        self._httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "CaptureSink":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def add(self, signal: str, request: Any, raw: bytes) -> None:
        with self._lock:
            self._received.append((signal, request, raw))

    def requests(self, signal: str) -> list[Any]:
        """Decoded requests of one signal, in arrival order."""
        with self._lock:
            return [r for s, r, _ in self._received if s == signal]

    def raw(self, signal: str) -> list[bytes]:
        """Uncompressed request bodies of one signal, in arrival order."""
        with self._lock:
            return [b for s, _, b in self._received if s == signal]

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self.errors.clear()


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: CaptureSink
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _reply(self, status: int, body: bytes, ctype: str = "application/x-protobuf") -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes:
        """The request body: content-length, or chunked (OpenTelemetry JS's exporter sends that)."""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        signal = self.path.rstrip("/").rsplit("/", 1)[-1]
        body = self._read_body()
        if signal not in SIGNALS or not self.path.startswith("/v1/"):
            self._reply(404, b"unknown path", "text/plain")
            return
        ctype = (self.headers.get("content-type") or "").split(";")[0].strip()
        if ctype != "application/x-protobuf":
            self.owner.errors.append(f"{self.path}: unsupported content-type {ctype!r}")
            self._reply(415, b"only application/x-protobuf", "text/plain")
            return
        encoding = (self.headers.get("content-encoding") or "").lower()
        try:
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            request_type, response_type = SIGNALS[signal]
            request = request_type()
            request.ParseFromString(body)
        except Exception as e:  # noqa: BLE001 - report any decode failure to the test
            self.owner.errors.append(f"{self.path}: cannot decode: {e}")
            self._reply(400, str(e).encode(), "text/plain")
            return
        self.owner.add(signal, request, body)
        self._reply(200, response_type().SerializeToString())
