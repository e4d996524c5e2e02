"""One interface for telling people things: ``notify()``.

Every event that should tell someone calls ``notify``. It stores an in-app
notice per user in the caller's transaction, and after the transaction
commits hands each message to the channel backends (so nothing is sent for
a change that was rolled back). With a Celery broker configured the hand-off
goes to a worker (``DELIVER_TASK``); the embedded default sends in-process.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from hejie.core import clock
from hejie.core.background import enqueue
from hejie.notifications.backends import OutboundMessage
from hejie.notifications.models import Notification

logger = logging.getLogger("hejie.notifications")

# The task in tasks.py that runs ``deliver_now`` on a worker, sent by name.
DELIVER_TASK = "hejie.notifications.deliver"


def backend_for(channel: str):
    path = settings.HEJIE_NOTIFICATION_BACKENDS.get(channel, "hejie.notifications.backends.LogBackend")
    return import_string(path)()


def deliver_now(messages: list[OutboundMessage]) -> None:
    for message in messages:
        try:
            backend_for(message.channel).send(message)
        except Exception:  # a channel outage must not break the action that caused it
            logger.exception("sending %s to %s failed", message.channel, message.to)


def _deliver(messages: list[OutboundMessage]) -> None:
    """After commit: to a Celery worker (the ``DELIVER_TASK``) when a broker is configured, else here."""
    try:
        if enqueue(DELIVER_TASK, [dataclasses.asdict(m) for m in messages]):
            return
    except Exception:  # broker down: do not lose the message, send it from here
        logger.exception("could not enqueue %d notification(s); sending in-process", len(messages))
    deliver_now(messages)


def send_now(message: OutboundMessage) -> None:
    """Send one message through its channel once the transaction commits."""
    transaction.on_commit(lambda: _deliver([message]))


def notify(*, users: Iterable, event: str, title: str, body: str = "", complaint=None) -> list[Notification]:
    users = [u for u in users if u is not None]
    if not users:
        return []
    rows = Notification.objects.bulk_create(
        [Notification(user=u, event=event, complaint=complaint, title=title, body=body) for u in users]
    )
    outbound = []
    for u in users:
        if getattr(u, "phone", None):
            outbound.append(OutboundMessage("sms", u.phone, title, body, {"event": event}))
        if getattr(u, "email", None):
            outbound.append(OutboundMessage("email", u.email, title, body, {"event": event}))
    if outbound:
        transaction.on_commit(lambda: _deliver(outbound))
    return rows


def notification_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return qs.update(read_at=clock.now())
