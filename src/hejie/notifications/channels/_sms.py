"""What the SMS adapters share: the number in the form each provider takes, the template of a kind
of message, the template's values, and what a failed HTTP call means for the delivery.
"""

from __future__ import annotations

import re

import requests
from django.conf import settings
from urllib3.exceptions import NewConnectionError

from hejie.notifications import kinds
from hejie.notifications.backends import DeliveryError, OutboundMessage, Permanent, Retryable, Unknown

_MAINLAND = re.compile(r"1[3-9]\d{9}")
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")
# Free-text template variables are cut to this many characters: the providers refuse a value longer
# than the variable's approved length and the message is then lost. A code and a link are never cut:
# cut, they are worthless (a claim link of 20 characters leads nowhere).
PARAM_LIMIT = 20
UNCUT = frozenset({"code", "link"})


def mainland(to: str) -> str | None:
    """The 11-digit mainland mobile number in ``to`` (spaces, dashes, +86/0086/86 prefixes removed),
    or None when it is not one."""
    value = re.sub(r"[\s\-()]", "", to or "")
    for prefix in ("+86", "0086", "86"):
        if value.startswith(prefix) and _MAINLAND.fullmatch(value[len(prefix):]):
            value = value[len(prefix):]
            break
    return value if _MAINLAND.fullmatch(value) else None


def e164(to: str) -> str:
    """``to`` as E.164 (``+8613800138000``): mainland numbers get +86, international ones must carry
    their own +country code. Anything else is refused for good."""
    number = mainland(to)
    if number is not None:
        return "+86" + number
    value = re.sub(r"[\s\-()]", "", to or "")
    if _INTERNATIONAL.fullmatch(value):
        return value
    raise Permanent(f"not a mobile number: {to!r}", code="invalid_number")


def template_for(kind: str) -> str:
    """The provider's template for ``kind`` (``HEJIE_SMS_TEMPLATES``). A kind without one uses the
    ``notice`` template, except one-time codes and invitations, whose values only fit their own."""
    templates: dict[str, str] = getattr(settings, "HEJIE_SMS_TEMPLATES", {}) or {}
    template = templates.get(kind) or ("" if kind in kinds.URGENT else templates.get("notice", ""))
    if not template:
        raise Permanent(f"no SMS template configured for messages of kind {kind!r} "
                        f"(HEJIE_SMS_TEMPLATES, e.g. {kind}=<template id>)", code="no_template")
    return template


def sign_name() -> str:
    name = str(getattr(settings, "HEJIE_SMS_SIGN_NAME", "") or "")
    if not name:
        raise Permanent("no SMS signature configured (HEJIE_SMS_SIGN_NAME)", code="no_sign_name")
    return name


def values(message: OutboundMessage) -> dict[str, str]:
    """The template's values in order, each a string; free text cut to ``PARAM_LIMIT`` characters
    (not the ``UNCUT`` ones: codes and links)."""
    out = {}
    for name, value in message.params.items():
        text = str(value)
        out[str(name)] = text if name in UNCUT else text[:PARAM_LIMIT]
    return out


def timeout() -> float:
    return float(getattr(settings, "HEJIE_CHANNEL_TIMEOUT", 10))


def network_error(exc: BaseException) -> DeliveryError:
    """What a failed HTTP call means: the connection was never made (refused, no route, DNS, TLS
    handshake, connect timeout) -> the provider certainly did not take the message, ``Retryable``;
    anything after the request may have left (a read timeout, a connection dropped mid-answer)
    -> ``Unknown``. ``exc`` is the ``requests`` exception or one raised while handling it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (requests.ConnectTimeout, requests.exceptions.SSLError)):
            return Retryable(f"could not connect: {seen}", code="connect_error")
        if isinstance(seen, requests.Timeout):
            return Unknown(f"timed out waiting for the answer: {seen}", code="timeout")
        if isinstance(seen, requests.ConnectionError):
            reason = getattr(seen.args[0], "reason", None) if seen.args else None
            if isinstance(reason, NewConnectionError) or isinstance(seen.args[0] if seen.args else None,
                                                                    NewConnectionError):
                return Retryable(f"could not connect: {seen}", code="connect_error")
            return Unknown(f"connection lost: {seen}", code="connection_error")
        seen = seen.__cause__ or seen.__context__
    return Unknown(f"{type(exc).__name__}: {exc}", code="network_error")
