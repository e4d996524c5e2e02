"""A fake WeChat Official Account API on 127.0.0.1 (a random port), speaking the documented
protocol: ``GET /cgi-bin/token``, ``POST /cgi-bin/message/template/send`` and
``GET /sns/oauth2/access_token``. Every request is recorded in ``requests``.

Switches (attributes, set by a test):

- ``template_error``: an errcode every template send answers with (43004, 40037, 45009, -1 …);
- ``expire_token_once``: the next template send answers 40001 and the current token stops
  being valid (the client must fetch a new one and try again);
- ``expire_token_always``: every template send answers 40001;
- ``slow``: seconds to wait before answering a template send (a read timeout in the client);
- ``html_answer``: template sends are answered with an HTML page (a proxy's error page);
- ``codes``: OAuth code -> openid (``add_code``); an unknown code answers 40029, a code used
  twice 40163.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APP_ID = "wx-fake-app"
APP_SECRET = "fake-secret"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


class FakeWeChat:
    def __init__(self, app_id: str = APP_ID, secret: str = APP_SECRET) -> None:
        self.app_id, self.secret = app_id, secret
        self.requests: list[Recorded] = []
        self.tokens: set[str] = set()
        self.codes: dict[str, str] = {}
        self.used_codes: set[str] = set()
        self.template_error: int | None = None
        self.expire_token_once = False
        self.expire_token_always = False
        self.slow = 0.0
        self.html_answer = False
        self._msgids = itertools.count(1000)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _answer(self, payload: dict[str, Any], status: int = 200) -> None:
                html = payload.pop("_html", None)
                body = html.encode() if html else json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if html else "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self, "GET", b"")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                fake._handle(self, "POST", self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- the test's side ----------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> FakeWeChat:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_code(self, openid: str) -> str:
        """A fresh OAuth code that stands for ``openid`` (what WeChat puts on the callback)."""
        code = "code-" + secrets.token_hex(6)
        self.codes[code] = openid
        return code

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The template messages WeChat took (answered errcode 0)."""
        return [r.body for r in self.calls("/cgi-bin/message/template/send") if r.body.get("_accepted")]

    # --- the server's side --------------------------------------------------------------

    def _handle(self, handler: Any, method: str, raw: bytes) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            body = {"_invalid": raw.decode("utf-8", "replace")}
        record = Recorded(method, parts.path, query, body)
        with self._lock:
            self.requests.append(record)
        route = {
            ("GET", "/cgi-bin/token"): self._token,
            ("POST", "/cgi-bin/message/template/send"): self._template,
            ("GET", "/sns/oauth2/access_token"): self._oauth,
        }.get((method, parts.path))
        if route is None:
            handler._answer({"errcode": 40066, "errmsg": "invalid url"}, status=404)
            return
        handler._answer(route(record))

    def _token(self, r: Recorded) -> dict[str, Any]:
        if r.query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if r.query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if r.query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = "tok-" + secrets.token_hex(8)
        with self._lock:
            self.tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _template(self, r: Recorded) -> dict[str, Any]:
        token = r.query.get("access_token", "")
        if token not in self.tokens:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if self.expire_token_always or self.expire_token_once:
            self.expire_token_once = False
            with self._lock:
                self.tokens.discard(token)
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if self.slow:
            time.sleep(self.slow)
        if self.html_answer:
            return {"_html": "<html><body>502 Bad Gateway</body></html>"}
        body = r.body
        if not isinstance(body.get("touser"), str) or not body.get("touser"):
            return {"errcode": 40003, "errmsg": "invalid openid"}
        if not body.get("template_id"):
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        data = body.get("data")
        if not isinstance(data, dict) or not all(isinstance(v, dict) and "value" in v for v in data.values()):
            return {"errcode": 47003, "errmsg": "argument invalid! data.value empty"}
        if self.template_error is not None:
            messages = {43004: "require subscribe", 40037: "invalid template_id", 40003: "invalid openid",
                        45009: "reach max api daily quota limit", -1: "system error",
                        45047: "out of response count limit", 47003: "argument invalid"}
            return {"errcode": self.template_error, "errmsg": messages.get(self.template_error, "error")}
        body["_accepted"] = True
        return {"errcode": 0, "errmsg": "ok", "msgid": next(self._msgids)}

    def _oauth(self, r: Recorded) -> dict[str, Any]:
        if r.query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if r.query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if r.query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        code = r.query.get("code", "")
        with self._lock:
            if code in self.used_codes:
                return {"errcode": 40163, "errmsg": "code been used"}
            openid = self.codes.get(code)
            if openid is None:
                return {"errcode": 40029, "errmsg": "invalid code"}
            self.used_codes.add(code)
        return {"access_token": "web-" + secrets.token_hex(6), "expires_in": 7200,
                "refresh_token": "ref-" + secrets.token_hex(6), "openid": openid, "scope": "snsapi_base"}
