"""A local Tencent Cloud SMS: SendSms of API version 2021-01-11 as Tencent documents it.

It checks each request as Tencent would: POST JSON to ``/``, ``X-TC-Action: SendSms``,
``X-TC-Version: 2021-01-11``, a fresh ``X-TC-Timestamp``, and the ``TC3-HMAC-SHA256``
``Authorization`` recomputed here from the test secret (signed headers ``content-type;host``);
then the body: the SDK app id, the signature, an approved template with as many values as it
has variables, E.164 numbers. It answers in Tencent's JSON (``{"Response": {...}}``): the send
status per number, or ``Response.Error``.

``fake.script`` lists outcomes for the next requests (then ``ok``): ``ok``, ``throttled``
(``LimitExceeded.PhoneNumberThirtySecondLimit`` in the send status), ``request_limit``
(``RequestLimitExceeded``), ``bad_template``, ``bad_number``, ``slow`` (answers after
``fake.delay`` seconds), ``5xx`` (a gateway's 502 page).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes._server import FakeServer

VERSION = "2021-01-11"
_AUTH = re.compile(r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)"
                   r"/tc3_request, SignedHeaders=(?P<headers>[a-z;\-]+), Signature=(?P<signature>[0-9a-f]{64})")
_E164_MAINLAND = re.compile(r"\+861[3-9]\d{9}")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_signature(*, secret_key: str, date: str, service: str, timestamp: str, content_type: str, host: str,
                  body: bytes) -> str:
    """Tencent's TC3-HMAC-SHA256 signature of a POST to ``/`` signing content-type and host."""
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
                           hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, f"{date}/{service}/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class FakeTencentSms(FakeServer):
    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 templates: dict[str, int]) -> None:
        """``templates``: the approved template ids and how many variables each has."""
        super().__init__()
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name, self.templates = sdk_app_id, sign_name, templates
        self.serial = 0

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The bodies of the requests it accepted."""
        return [r["body"] for r in self.requests if r.get("accepted")]

    def _error(self, handler: BaseHTTPRequestHandler, code: str, message: str) -> None:
        body = {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}
        self.reply(handler, 200, json.dumps(body).encode(), "application/json")

    def _refusal(self, headers: Any, body: bytes) -> tuple[str, str] | None:
        """Tencent's error for a request it would refuse before looking at its content, if any."""
        if headers.get("X-TC-Action") != "SendSms":
            return "InvalidAction", f"action {headers.get('X-TC-Action')!r} does not exist"
        if headers.get("X-TC-Version") != VERSION:
            return "NoSuchVersion", f"version {headers.get('X-TC-Version')!r} does not exist"
        match = _AUTH.fullmatch(headers.get("Authorization") or "")
        if match is None:
            return "AuthFailure.InvalidAuthorization", "the Authorization header is not TC3-HMAC-SHA256"
        if match["id"] != self.secret_id:
            return "AuthFailure.SecretIdNotFound", "the SecretId does not exist"
        timestamp = headers.get("X-TC-Timestamp") or "0"
        if abs(time.time() - int(timestamp)) > 300:
            return "AuthFailure.SignatureExpire", "the signature has expired"
        expected = tc3_signature(secret_key=self.secret_key, date=match["date"], service=match["service"],
                                 timestamp=timestamp, content_type=headers.get("Content-Type") or "",
                                 host=headers.get("Host") or "", body=body)
        if match["service"] != "sms" or match["headers"] != "content-type;host" or not hmac.compare_digest(
                expected, match["signature"]):
            return "AuthFailure.SignatureFailure", "the request signature does not match"
        return None

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        entry: dict[str, Any] = {"headers": dict(handler.headers.items()), "raw": body, "accepted": False}
        self.record(entry)
        refused = self._refusal(handler.headers, body)
        if refused is not None:
            entry["error"] = refused[0]
            return self._error(handler, *refused)
        entry["body"] = data = json.loads(body)
        outcome = self.next_outcome()
        if outcome == "slow":
            self.wait()
        if outcome == "5xx":
            return self.reply(handler, 502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        if outcome == "request_limit":
            return self._error(handler, "RequestLimitExceeded", "too many requests")
        if data.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error(handler, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail")
        if data.get("SignName") != self.sign_name:
            return self._error(handler, "FailedOperation.SignatureIncorrectOrUnapproved",
                               "the signature is incorrect or unapproved")
        template = str(data.get("TemplateId") or "")
        if outcome == "bad_template" or template not in self.templates:
            return self._error(handler, "FailedOperation.TemplateIncorrectOrUnapproved",
                               "the template is incorrect or unapproved")
        params = data.get("TemplateParamSet") or []
        if len(params) != self.templates[template] or not all(isinstance(p, str) for p in params):
            return self._error(handler, "InvalidParameterValue.TemplateParameterFormatError",
                               "the template parameters do not match the template")
        entry["accepted"] = True
        statuses = []
        for number in data.get("PhoneNumberSet") or []:
            if outcome == "bad_number" or not _E164_MAINLAND.fullmatch(number):
                code, message = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"
            elif outcome == "throttled":
                code, message = "LimitExceeded.PhoneNumberThirtySecondLimit", "too many messages to this number"
            else:
                code, message = "Ok", "send success"
            self.serial += 1
            statuses.append({"SerialNo": f"2433:{self.serial:06d}" if code == "Ok" else "", "PhoneNumber": number,
                             "Fee": 1 if code == "Ok" else 0, "SessionContext": data.get("SessionContext", ""),
                             "Code": code, "Message": message, "IsoCode": "CN"})
        answer = {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}
        self.reply(handler, 200, json.dumps(answer).encode(), "application/json")
