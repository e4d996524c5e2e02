"""Leases: named locks in the database that expire, for work that must not overlap itself
(the sweep: ``hejie.ops.sweep``).

A lease is one row (``core.Lease``). ``lease_acquire`` takes it with one conditional
``UPDATE`` (free or expired -> this holder's random token and a new expiry), which is atomic
on PostgreSQL and on SQLite alike, so of two callers at once exactly one gets it; the other
gets ``None`` and learns who holds it until when. ``lease_release`` frees it only if the token
still holds it (a holder that outlived its lease does not free its successor's);
``lease_renew`` pushes the expiry on while the holder works. A holder that dies never releases:
its lease ends when ``expires_at`` passes, and the next caller takes it.

Why the database and not Redis (``SET NX PX``) or a PostgreSQL advisory lock: the sweep runs
in the embedded default too (``hejie serve`` on SQLite, no Redis), and a session advisory
lock lives as long as a (possibly pooled) connection rather than for a known time. Expiry is
reckoned by the wall clock (``django.utils.timezone.now``), never by the business clock
(``hejie.core.clock``), which a test or an operator may move.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from hejie.core.models import Lease


@dataclass(frozen=True)
class Held:
    """Who holds a lease (a token) and until when."""

    name: str
    holder: str
    expires_at: dt.datetime | None


T = TypeVar("T")
LOCKED_TRIES = 50  # about 2.5 s in all: a lease statement holds SQLite's lock for milliseconds


def _when_unlocked(fn: Callable[[], T]) -> T:
    """Run ``fn``, again after a short pause while SQLite answers that another connection is
    writing the table ("database table is locked" in shared-cache mode, which does not wait the
    way busy_timeout does; "database is locked" after it). Each lease statement is atomic, so a
    retry is the same request, not a second one. PostgreSQL waits for row locks itself."""
    for attempt in range(LOCKED_TRIES):
        try:
            return fn()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) or attempt == LOCKED_TRIES - 1:
                raise
            time.sleep(0.01 + 0.04 * attempt / LOCKED_TRIES)
    raise AssertionError("unreachable")


def _ensure(name: str) -> None:
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name)
        except IntegrityError:  # another caller created it first: the same row
            pass


def lease_acquire(name: str, *, ttl: dt.timedelta) -> str | None:
    """Take lease ``name`` for ``ttl`` if it is free or expired; return the holder's token,
    or None when someone else holds it (``lease_holder`` says who and until when)."""
    if ttl <= dt.timedelta(0):
        raise ValueError("a lease needs a positive duration")
    _when_unlocked(lambda: _ensure(name))
    token = secrets.token_hex(16)
    now = timezone.now()
    taken = _when_unlocked(lambda: Lease.objects.filter(name=name)
                           .filter(Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lte=now))
                           .update(holder=token, expires_at=now + ttl, acquired_at=now))
    return token if taken else None


def lease_renew(name: str, token: str, *, ttl: dt.timedelta) -> bool:
    """Push the expiry of a lease this token holds to ``ttl`` from now; False if it lost it."""
    return bool(_when_unlocked(lambda: Lease.objects.filter(name=name, holder=token)
                               .update(expires_at=timezone.now() + ttl)))


def lease_release(name: str, token: str) -> bool:
    """Free the lease if ``token`` still holds it; False (nothing changed) if it does not."""
    return bool(_when_unlocked(lambda: Lease.objects.filter(name=name, holder=token)
                               .update(holder="", expires_at=None)))


def lease_holder(name: str) -> Held | None:
    """The current holder of lease ``name``, or None when it is free or expired."""
    row = _when_unlocked(lambda: Lease.objects.filter(name=name).exclude(holder="").first())
    if row is None or (row.expires_at is not None and row.expires_at <= timezone.now()):
        return None
    return Held(name=row.name, holder=row.holder, expires_at=row.expires_at)
