"""Optional Sentry (``hejie.ops.sentry``): off without ``HEJIE_SENTRY_DSN``; with one, an error in a
request reaches the DSN's server, here a local HTTP server that takes Sentry's envelopes, with the
request id and without personal data."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sentry_sdk

import hejie

SRC = Path(hejie.__file__).resolve().parent.parent
PHONE = "13912345678"


class EnvelopeServer:
    """Sentry's ingestion endpoint (``POST /api/<project>/envelope/``): keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    import brotli  # only when the SDK found it installed

                    body = brotli.decompress(body)
                received.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> EnvelopeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        """The event items of every envelope received (an envelope: a header line, then pairs of an
        item header line and its payload line)."""
        found = []
        for _, _, body in self.received:
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


_FAILING_REQUEST = f"""
import django, threading, urllib.error, urllib.parse, urllib.request; django.setup()
import sentry_sdk
assert sentry_sdk.is_initialized()
from django.views.decorators.csrf import csrf_exempt
import hejie.views
@csrf_exempt
def home(request):
    secret_phone = "{PHONE}"  # a local variable: must not be sent
    raise ZeroDivisionError("a bug in a view")
hejie.views.home = home  # before the URLconf is first read, so "/" is this view
from wsgiref.simple_server import WSGIRequestHandler, make_server
from hejie.wsgi import application
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
server = make_server("127.0.0.1", 0, application, handler_class=Quiet)
threading.Thread(target=server.handle_request, daemon=True).start()
body = urllib.parse.urlencode({{"phone": "{PHONE}", "description": "我的手机号是{PHONE}"}}).encode()
request = urllib.request.Request(f"http://127.0.0.1:{{server.server_port}}/?page=2", data=body, headers={{
    "X-Request-ID": "req-sentry-1", "Cookie": "sessionid=s3ss10n", "X-Forwarded-For": "203.0.113.5",
    "Authorization": "Bearer t0ken-s3cret"}})
try:
    urllib.request.urlopen(request, timeout=30)
except urllib.error.HTTPError as exc:
    print(exc.code)
sentry_sdk.flush(10)
"""


def _run(tmp_path, script: str, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HEJIE_TEST_DB_NAME"}}
    env.update(HEJIE_DATA_DIR=str(tmp_path / "data"), DJANGO_SETTINGS_MODULE="hejie.settings", PYTHONPATH=str(SRC),
               **env_vars)
    return subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,  # noqa: S603 - our interpreter
                          capture_output=True, text=True, timeout=60, check=False)


def test_without_a_dsn_sentry_is_off():
    assert not sentry_sdk.is_initialized()


def test_an_error_reaches_sentry_with_the_request_id_and_no_personal_data(tmp_path):
    with EnvelopeServer() as sentry:
        done = _run(tmp_path, _FAILING_REQUEST, HEJIE_SENTRY_DSN=f"http://publickey@127.0.0.1:{sentry.port}/42",
                    HEJIE_SENTRY_ENVIRONMENT="test-env")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "500"
        events = sentry.events()
    assert sentry.received[0][0] == "/api/42/envelope/"
    assert "sentry_key=publickey" in sentry.received[0][1].get("X-Sentry-Auth", "")
    [event] = [e for e in events if e.get("exception")]
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("ZeroDivisionError", "a bug in a view")
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["environment"] == "test-env"
    assert event["request"]["method"] == "POST" and event["request"]["url"].endswith("/")
    assert event["request"]["query_string"] == "page=2"
    # personal data stays home: no body, no cookie, no address, no local variables
    raw = b"".join(body for _, _, body in sentry.received)
    assert PHONE.encode() not in raw and "我的手机号".encode() not in raw
    assert b"s3ss10n" not in raw and b"203.0.113.5" not in raw and b"t0ken-s3cret" not in raw
    assert "cookies" not in event["request"] and not event["request"].get("data")
    assert "ip_address" not in event.get("user", {})
    assert not [f for f in exception["stacktrace"]["frames"] if f.get("vars")]


def test_a_dsn_without_the_sdk_is_refused_with_the_way_to_install_it(tmp_path):
    script = "import sys; sys.modules['sentry_sdk'] = None\nimport django; django.setup()"
    done = _run(tmp_path, script, HEJIE_SENTRY_DSN="http://publickey@127.0.0.1:9/42")
    assert done.returncode != 0
    assert "pip install 'hejie[sentry]'" in done.stderr


def test_the_options_keep_personal_data_home(settings):
    from hejie.ops.sentry import options

    settings.HEJIE_SENTRY_DSN = "http://publickey@127.0.0.1:9/42"
    settings.HEJIE_SENTRY_TRACES_SAMPLE_RATE = 0.5
    opts = options()
    assert opts["send_default_pii"] is False and opts["max_request_body_size"] == "never"
    assert opts["include_local_variables"] is False and opts["traces_sample_rate"] == 0.5
