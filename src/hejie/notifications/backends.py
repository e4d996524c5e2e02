"""Channel backends: the one interface every channel adapter offers, ``send(message) -> Sent``.

A backend is chosen per channel by dotted path in ``settings.HEJIE_NOTIFICATION_BACKENDS``
(``HEJIE_SMS_BACKEND``, ``HEJIE_WECHAT_BACKEND``, ``HEJIE_EMAIL_BACKEND``). The real adapters
live in ``hejie.notifications.channels``; the default writes each message to the log, which is
what the embedded default (``make run``) uses, so nothing has to be configured.

A backend either returns ``Sent`` (the provider took the message; ``provider_id`` is the
provider's own id of it, which its delivery reports quote) or raises:

- ``Retryable``: the provider certainly did not take the message and may later (throttled,
  a 5xx with an error code, the connection refused before the request was sent). The
  delivery is tried again with backoff.
- ``Permanent``: it never will (bad number, unknown template, bad credentials). No retry;
  the fallback channel, if any, is tried.
- ``Unknown``: the request may or may not have been taken (a timeout after the request was
  sent). Never retried on the same channel, so no one gets the same SMS twice.

Any other exception is treated as ``Unknown``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

logger = logging.getLogger("hejie.notifications")


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one address on one channel.

    ``kind`` names what it is (``hejie.notifications.kinds``: ``otp``, ``new_order``, ``urge``,
    ``notice`` …); SMS and WeChat adapters look up the provider's template for it in settings
    and fill the template with ``params`` (an ordered mapping of short strings; Tencent takes
    the values in order, Alibaba the mapping as JSON). ``title``/``body`` are the plain text
    (email subject and body, the log); ``html`` an email's HTML body; ``url`` a link to open
    (WeChat template messages, email). ``key`` is unique per delivery: adapters pass it to
    the provider where it carries one back (Tencent ``SessionContext``, Alibaba ``OutId``).
    """

    channel: str
    to: str  # phone number, openid or email address, as the channel needs
    title: str
    body: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    kind: str = "notice"
    params: dict[str, str] = field(default_factory=dict)
    key: str = ""
    html: str = ""
    url: str = ""


@dataclass(frozen=True)
class Sent:
    provider: str = ""
    provider_id: str = ""


class DeliveryError(Exception):
    """A channel could not send. ``code`` is the provider's error code (kept on the delivery row)."""

    outcome: ClassVar[str] = "unknown"

    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


class Retryable(DeliveryError):
    outcome = "retry"


class Permanent(DeliveryError):
    outcome = "permanent"


class Unknown(DeliveryError):
    outcome = "unknown"


@dataclass(frozen=True)
class Report:
    """A provider's delivery report for one message (its status callback)."""

    provider_id: str
    delivered: bool
    error: str = ""
    to: str = ""


class Backend(Protocol):
    """What a channel backend (``HEJIE_NOTIFICATION_BACKENDS``) offers."""

    def send(self, message: OutboundMessage) -> Sent | None: ...


class LogBackend:
    def send(self, message: OutboundMessage) -> Sent:
        logger.info("[%s → %s] %s %s", message.channel, message.to, message.title, message.body)
        return Sent(provider="log")


class MemoryBackend:
    """Keeps what it sends in ``MemoryBackend.outbox`` (for tests and demos)."""

    outbox: ClassVar[list[OutboundMessage]] = []

    def send(self, message: OutboundMessage) -> Sent:
        MemoryBackend.outbox.append(message)
        return Sent(provider="memory", provider_id=f"mem-{len(MemoryBackend.outbox)}")
