"""A small threaded HTTP server on 127.0.0.1 (a free port) for the providers' fakes."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeServer:
    """Start with ``with Fake(...) as fake``; ``fake.port``, ``fake.requests`` (what it received),
    ``fake.script`` (outcomes to answer, one per request, then ``fake.default``). A subclass writes
    ``handle(handler, body)`` and answers with ``reply``."""

    default = "ok"

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[str] = []
        self.delay = 3.0  # how long a "slow" answer waits (longer than the tests' client timeout)
        self._release = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.handle(self, body)

            def do_GET(self) -> None:  # noqa: N802
                fake.reply(self, 405, b"method not allowed", "text/plain")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def next_outcome(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def wait(self) -> None:
        """A slow answer: wait ``delay`` seconds (or until the server stops)."""
        self._release.wait(self.delay)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        raise NotImplementedError

    @staticmethod
    def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass
