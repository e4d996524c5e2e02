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
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils.module_loading import import_string

from hejie.core import clock
from hejie.core.background import enqueue
from hejie.notifications.backends import Backend, OutboundMessage
from hejie.notifications.models import Notification

logger = logging.getLogger("hejie.notifications")

# The task in tasks.py that runs ``deliver_now`` on a worker, sent by name.
DELIVER_TASK = "hejie.notifications.deliver"


def backend_for(channel: str) -> Backend:
    path = settings.HEJIE_NOTIFICATION_BACKENDS.get(channel, "hejie.notifications.backends.LogBackend")
    backend: Backend = import_string(path)()
    return backend


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


def notify(*, users: Iterable[AbstractBaseUser | None], event: str, title: str, body: str = "",
           complaint: Model | None = None) -> list[Notification]:
    """Tell ``users`` (``None`` entries are skipped): an in-app notice each, and the channels after
    commit. ``complaint`` is the order it is about, if any. This app sits below accounts and
    complaints, so it knows the user and the order by their keys only."""
    people = [u for u in users if u is not None]
    if not people:
        return []
    complaint_id = complaint.pk if complaint is not None else None
    rows = Notification.objects.bulk_create(
        [Notification(user_id=u.pk, event=event, complaint_id=complaint_id, title=title, body=body) for u in people]
    )
    outbound = []
    for u in people:
        phone = getattr(u, "phone", None)
        if phone:
            outbound.append(OutboundMessage("sms", phone, title, body, {"event": event}))
        email = getattr(u, "email", None)
        if email:
            outbound.append(OutboundMessage("email", email, title, body, {"event": event}))
    if outbound:
        transaction.on_commit(lambda: _deliver(outbound))
    return rows


def notification_mark_read(*, user: AbstractBaseUser, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return qs.update(read_at=clock.now())
