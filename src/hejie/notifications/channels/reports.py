"""The SMS providers' delivery reports (status callbacks): what each pushes, and what it expects back.

- Tencent Cloud ("SMS Sending Status Notification"): a POST of a JSON array of objects with
  ``sid`` (the ``SerialNo`` SendSms returned), ``report_status`` (``SUCCESS`` or ``FAIL``),
  ``errmsg`` (the receipt status code, ``DELIVRD`` when delivered), ``description``, ``mobile``,
  ``nationcode``, ``user_receive_time``; it expects ``{"result": 0, "errmsg": "OK"}``.
- Alibaba Cloud (``SmsReport``, HTTP batch push): a POST of a JSON array of objects with
  ``biz_id`` (the ``BizId``), ``success`` (a boolean), ``err_code`` (``DELIVERED`` when
  delivered), ``err_msg``, ``phone_number``, ``out_id`` (our delivery key), ``send_time``,
  ``report_time``, ``sms_size``; it expects ``{"code": 0, "msg": "接收成功"}``.

``parse_reports`` raises ``MalformedReport`` on a body that is not such an array.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hejie.notifications.backends import Report


class MalformedReport(ValueError):
    """A report body that is not what the provider documents."""


def _items(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedReport("the body is not JSON") from None
    if isinstance(data, dict):  # one report alone
        data = [data]
    if not isinstance(data, list):
        raise MalformedReport("the body is not a JSON array of reports")
    for item in data:
        if not isinstance(item, dict):
            raise MalformedReport("each report must be a JSON object")
    return data


def _text(item: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise MalformedReport(f"a report lacks {name!r}")
        return ""
    if not isinstance(value, str | int):
        raise MalformedReport(f"{name!r} must be a string")
    return str(value)


def _tencent(body: bytes) -> list[Report]:
    out = []
    for item in _items(body):
        status = _text(item, "report_status", required=True)
        if status not in ("SUCCESS", "FAIL"):
            raise MalformedReport(f"report_status must be SUCCESS or FAIL, not {status[:20]!r}")
        error = ": ".join(t for t in (_text(item, "errmsg"), _text(item, "description")) if t)
        out.append(Report(provider_id=_text(item, "sid", required=True), delivered=status == "SUCCESS",
                          error="" if status == "SUCCESS" else error, to=_text(item, "mobile")))
    return out


def _aliyun(body: bytes) -> list[Report]:
    out = []
    for item in _items(body):
        success = item.get("success")
        if isinstance(success, str) and success.lower() in ("true", "false"):
            success = success.lower() == "true"
        if not isinstance(success, bool):
            raise MalformedReport("success must be true or false")
        error = ": ".join(t for t in (_text(item, "err_code"), _text(item, "err_msg")) if t)
        out.append(Report(provider_id=_text(item, "biz_id", required=True), delivered=success,
                          error="" if success else error, to=_text(item, "phone_number")))
    return out


PARSERS: dict[str, Callable[[bytes], list[Report]]] = {"tencent": _tencent, "aliyun": _aliyun}
# What each provider expects as the answer to a report it pushed.
REPLIES: dict[str, dict[str, Any]] = {
    "tencent": {"result": 0, "errmsg": "OK"},
    "aliyun": {"code": 0, "msg": "接收成功"},
}


def parse_reports(provider: str, body: bytes) -> list[Report]:
    """The reports in ``body`` as ``provider`` (``tencent`` or ``aliyun``) pushes them."""
    parser = PARSERS.get(provider)
    if parser is None:
        raise KeyError(provider)
    return parser(body)
