"""Channel backends. A backend has one method, ``send(message)``.

Production backends (an SMS gateway, WeChat template messages, SMTP, signed
webhooks) plug in by dotted path in settings.HEJIE_NOTIFICATION_BACKENDS;
the default writes each message to the log, which is what the embedded
default and the tests use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger("hejie.notifications")


@dataclass(frozen=True)
class OutboundMessage:
    channel: str
    to: str  # phone number, openid, email address or URL, as the channel needs
    title: str
    body: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    """What a channel backend (``HEJIE_NOTIFICATION_BACKENDS``) offers."""

    def send(self, message: OutboundMessage) -> None: ...


class LogBackend:
    def send(self, message: OutboundMessage) -> None:
        logger.info("[%s → %s] %s %s", message.channel, message.to, message.title, message.body)


class MemoryBackend:
    """Keeps what it sends in ``MemoryBackend.outbox`` (for tests and demos)."""

    outbox: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> None:
        MemoryBackend.outbox.append(message)
