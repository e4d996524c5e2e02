"""A local Alibaba Cloud SMS: dysmsapi ``SendSms`` (version 2017-05-25) by the RPC HTTP API, as
Alibaba documents it.

It checks each request as Alibaba would: the common parameters (``Action``, ``Version``,
``Format``, ``SignatureMethod`` HMAC-SHA1, ``SignatureVersion`` 1.0, a fresh ``Timestamp``, a
``SignatureNonce`` not seen before), the ``AccessKeyId``, and the ``Signature`` recomputed here
from the test secret (``InvalidAccessKeyId.NotFound`` and ``SignatureDoesNotMatch`` otherwise);
then the SMS parameters: the signature name, an approved template code whose variables are all
in ``TemplateParam`` (a JSON object of strings), a mainland number. It answers in Alibaba's JSON
(``Code``, ``Message``, ``RequestId``, ``BizId``).

``fake.script`` lists outcomes for the next requests (then ``ok``): ``ok``, ``throttled``
(``isv.BUSINESS_LIMIT_CONTROL``), ``bad_template`` (``isv.SMS_TEMPLATE_ILLEGAL``), ``bad_number``
(``isv.MOBILE_NUMBER_ILLEGAL``), ``slow`` (answers after ``fake.delay`` seconds), ``5xx`` (HTTP 500
with ``InternalError``), ``gateway`` (a gateway's 502 page).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote

from tests.fakes._server import FakeServer

VERSION = "2017-05-25"
_MAINLAND = re.compile(r"1[3-9]\d{9}")


def _encode(value: str) -> str:
    return quote(value, safe="~")


def rpc_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Alibaba Cloud's RPC signature (HMAC-SHA1, version 1.0) of ``params``."""
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = f"{method}&%2F&{_encode(query)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class FakeAliyunSms(FakeServer):
    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str,
                 templates: dict[str, list[str]]) -> None:
        """``templates``: the approved template codes and the names of their variables."""
        super().__init__()
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.sign_name, self.templates = sign_name, templates
        self.nonces: set[str] = set()
        self.biz = 0

    @property
    def sent(self) -> list[dict[str, str]]:
        """The parameters of the requests it accepted."""
        return [r["params"] for r in self.requests if r.get("accepted")]

    def _answer(self, handler: BaseHTTPRequestHandler, code: str, message: str, status: int = 200,
                **extra: Any) -> None:
        body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message, **extra}
        self.reply(handler, status, json.dumps(body, ensure_ascii=False).encode(), "application/json;charset=utf-8")

    def _refusal(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> tuple[int, str, str] | None:
        expected = {"Action": "SendSms", "Version": VERSION, "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
                    "SignatureVersion": "1.0"}
        for name, value in expected.items():
            if params.get(name) != value:
                return 400, "MissingParameter" if name not in params else "InvalidParameter", f"{name} is invalid"
        if handler.path.split("?")[0] != "/":
            return 404, "InvalidAction.NotFound", "the path is not /"
        if params.get("AccessKeyId") != self.access_key_id:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        try:
            stamp = dt.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return 400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
        if abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) > 900:
            return 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        nonce = params.get("SignatureNonce", "")
        if not nonce or nonce in self.nonces:
            return 400, "SignatureNonceUsed", "Specified signature nonce was used already."
        self.nonces.add(nonce)
        if not hmac.compare_digest(rpc_signature(params, self.access_key_secret), params.get("Signature", "")):
            return 400, "SignatureDoesNotMatch", "Specified signature does not match our calculation."
        return None

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        entry: dict[str, Any] = {"headers": dict(handler.headers.items()), "raw": body, "params": params,
                                 "accepted": False}
        self.record(entry)
        refused = self._refusal(handler, params)
        if refused is not None:
            entry["error"] = refused[1]
            return self._answer(handler, refused[1], refused[2], status=refused[0])
        outcome = self.next_outcome()
        if outcome == "slow":
            self.wait()
        if outcome == "5xx":
            return self._answer(handler, "InternalError", "The request processing has failed due to some unknown "
                                "error, exception or failure.", status=500)
        if outcome == "gateway":
            return self.reply(handler, 502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        if outcome == "throttled":
            return self._answer(handler, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
        if params.get("SignName") != self.sign_name:
            return self._answer(handler, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        template = params.get("TemplateCode", "")
        if outcome == "bad_template" or template not in self.templates:
            return self._answer(handler, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return self._answer(handler, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return self._answer(handler, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if any(name not in values for name in self.templates[template]):
            return self._answer(handler, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if outcome == "bad_number" or not _MAINLAND.fullmatch(params.get("PhoneNumbers", "")):
            return self._answer(handler, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        entry["accepted"] = True
        self.biz += 1
        self._answer(handler, "OK", "OK", BizId=f"9006197469364984{self.biz:03d}^0")
