"""Alibaba Cloud SMS (dysmsapi ``SendSms``, version 2017-05-25) by its RPC HTTP API, signed with
HMAC-SHA1 (signature version 1.0), sent with ``requests``.

Settings: ``HEJIE_ALIYUN_SMS`` (``access_key_id``, ``access_key_secret``, ``endpoint``,
``region_id``), ``HEJIE_SMS_SIGN_NAME``, ``HEJIE_SMS_TEMPLATES`` (kind -> template code,
``SMS_…``; the template's ``${name}`` variables take the message's ``params`` by name) and
``HEJIE_CHANNEL_TIMEOUT``. The delivery key goes as ``OutId``; the ``BizId`` that comes back is
the id the delivery reports quote (``biz_id``).

Outcomes: ``OK`` -> ``Sent``; flow control, throttling and the provider's 5xx -> ``Retryable``;
bad number, template, signature, parameters or credentials -> ``Permanent``; no answer in time
after the request left -> ``Unknown`` (never sent twice).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from urllib.parse import quote

import requests
from django.conf import settings

from hejie.notifications.backends import DeliveryError, OutboundMessage, Permanent, Retryable, Sent, Unknown
from hejie.notifications.channels import _sms

PROVIDER = "aliyun"
VERSION = "2017-05-25"

# Error codes that mean "not now" (Alibaba's SMS API error codes and the common API errors).
_RETRYABLE_PREFIXES = ("Throttling", "ServiceUnavailable", "InternalError")
_RETRYABLE = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR"})


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the RPC signature wants it: only ``A-Z a-z 0-9 - _ . ~`` stay as they
    are, UTF-8 bytes elsewhere as ``%XX`` (a space is ``%20``, ``*`` is ``%2A``)."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """The RPC signature (HMAC-SHA1, version 1.0) of ``params`` (without ``Signature``)."""
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def classify(code: str, message: str, *, status: int = 200) -> DeliveryError:
    """The delivery error for one of Alibaba's error codes."""
    text = f"Alibaba Cloud SMS: {code}: {message}"[:500]
    if code in _RETRYABLE or code.startswith(_RETRYABLE_PREFIXES) or status >= 500:
        return Retryable(text, code=code)
    return Permanent(text, code=code)


class AliyunSms:
    """The ``sms`` channel by Alibaba Cloud SMS."""

    def _params(self, message: OutboundMessage) -> dict[str, str]:
        conf = settings.HEJIE_ALIYUN_SMS
        if not (conf.get("access_key_id") and conf.get("access_key_secret")):
            raise Permanent("Alibaba Cloud SMS is not configured (HEJIE_ALIYUN_ACCESS_KEY_ID, "
                            "HEJIE_ALIYUN_ACCESS_KEY_SECRET)", code="not_configured")
        number = _sms.e164(message.to)
        params = {
            "AccessKeyId": str(conf["access_key_id"]),
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": str(conf.get("region_id") or "cn-hangzhou"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            # mainland numbers go as the 11 digits, others with their country code
            "PhoneNumbers": number[3:] if number.startswith("+86") else number.lstrip("+"),
            "SignName": _sms.sign_name(),
            "TemplateCode": _sms.template_for(message.kind),
            "TemplateParam": json.dumps(_sms.values(message), ensure_ascii=False, separators=(",", ":")),
        }
        if message.key:
            params["OutId"] = message.key
        return params

    def send(self, message: OutboundMessage) -> Sent:
        conf = settings.HEJIE_ALIYUN_SMS
        params = self._params(message)
        params["Signature"] = signature(params, str(conf["access_key_secret"]))
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        endpoint = str(conf.get("endpoint") or "https://dysmsapi.aliyuncs.com/")
        try:
            response = requests.post(endpoint, data=body.encode(), timeout=_sms.timeout(), headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"})
        except requests.RequestException as exc:
            raise _sms.network_error(exc) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not answer.get("Code"):
            if response.status_code == 503:  # refused before it was looked at
                raise Retryable(f"Alibaba Cloud SMS: HTTP {response.status_code}", code="http_503")
            # a gateway's page: whether the request got through is not known
            raise Unknown(f"Alibaba Cloud SMS: HTTP {response.status_code} without an answer: "
                          f"{response.text[:200]}", code=f"http_{response.status_code}")
        code, text = str(answer["Code"]), str(answer.get("Message") or "")
        if code == "OK" and response.status_code == 200:
            if not answer.get("BizId"):
                raise Unknown("Alibaba Cloud SMS: OK without a BizId", code="bad_answer")
            return Sent(provider=PROVIDER, provider_id=str(answer["BizId"]))
        raise classify(code, text, status=response.status_code)
