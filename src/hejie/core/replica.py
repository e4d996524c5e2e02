"""Reads that may go to a read replica.

When ``DATABASE_REPLICA_URL`` is set, the settings add a ``replica`` database and this router.
A view wrapped in ``replica_reads`` (the public pages, the open data, the council's dashboard:
pages that only read, and read a lot) sends the queries it makes *for the domain's data* to the
replica; everything else, every write, and every read of who is signed in (sessions, accounts)
stays on the primary, so signing in is never undone by a replica's lag.

A replica lags its primary by a little; the pages routed here show figures and lists that are
already minutes old by nature (daily figures, ratings, lists), never an order a person is
acting on. Without a replica the router answers ``None`` and Django uses ``default``.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Model

REPLICA = "replica"

# The apps whose data the routed pages read. Sessions, auth, accounts and the notification and
# webhook outboxes are not here: they are read and written by the same request.
ROUTED_APPS = frozenset({"businesses", "complaints", "ratings", "regions", "standards", "partners"})

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("hejie_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``view``'s reads of the domain's data go to the replica (when there is one)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = _replica_reads.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            _replica_reads.reset(token)

    return wrapped


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: domain reads inside ``replica_reads`` go to the replica."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if _replica_reads.get() and model._meta.app_label in ROUTED_APPS and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return None  # always the primary

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None  # the replica gets its schema by replication
