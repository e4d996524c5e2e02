"""The orders' part of the sweep: one idempotent pass over the orders that are due.

It selects orders whose stored ``next_deadline_at`` has passed, through the
partial index on that column, in bounded batches, and hands each to the same
per-order step people's actions use to catch up (``complaint_process_due``):
fail at 14 days, automatic urges, reminders, closing silent offers. After the
step an order's ``next_deadline_at`` lies in the future (or is cleared), so a
second pass finds nothing. On PostgreSQL each batch is claimed with
``FOR UPDATE SKIP LOCKED``, so several sweepers (or a sweeper and a person)
never work on the same order at once; on SQLite the database write lock
serialises them.

A batch of orders is one transaction and one unit of work
(``hejie.complaints.events``): the consumers follow its events once, at the end
of the batch (the figures in one statement, each business's rating once).

The whole sweep, which also ends ratings and list entries by the calendar and
retries webhooks, is ``hejie.ops.sweep``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from hejie.complaints import events
from hejie.complaints.models import Complaint
from hejie.complaints.policy import get_policy
from hejie.complaints.services.orders import _process_due

logger = logging.getLogger("hejie.sweep")
BATCH_SIZE = 500


@dataclass
class OrdersSwept:
    """What one pass over the due orders did."""

    now: dt.datetime
    examined: int = 0
    actions: Counter = field(default_factory=Counter)
    errors: int = 0


def _due_batch(now: dt.datetime, size: int, after: tuple | None) -> list[Complaint]:
    """The next batch of due orders, in (next_deadline_at, id) order after ``after``.

    Handled orders leave the filter (their deadline moves past ``now``); the
    keyset also steps over any order whose step failed, so a pass always ends."""
    qs = Complaint.objects.filter(next_deadline_at__lte=now)
    if after is not None:
        deadline, pk = after
        qs = qs.filter(Q(next_deadline_at__gt=deadline) | Q(next_deadline_at=deadline, pk__gt=pk))
    qs = qs.order_by("next_deadline_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.select_related("business", "consumer")[:size])


def sweep_orders(now: dt.datetime, *, batch_size: int = BATCH_SIZE) -> OrdersSwept:
    """Apply what is due on every order whose ``next_deadline_at`` has passed, a batch
    (one transaction, one unit of work) at a time."""
    report = OrdersSwept(now=now)
    policy = get_policy()
    after = None  # keyset position: an order is handled at most once per pass
    while True:
        with transaction.atomic(), events.unit() as unit:
            unit.policy = policy
            batch = _due_batch(now, batch_size, after)
            for complaint in batch:
                after = (complaint.next_deadline_at, complaint.pk)
                report.examined += 1
                mark = unit.mark()
                try:
                    with transaction.atomic():
                        for action in _process_due(complaint, policy, now):
                            report.actions[action] += 1
                except Exception:
                    unit.forget_since(mark)  # its savepoint rolled back: so do its events
                    report.errors += 1
                    logger.exception("sweep: order %s failed", complaint.number)
        if len(batch) < batch_size:
            break
    return report
