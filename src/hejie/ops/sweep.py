"""The sweep: one idempotent pass over everything that is due by the calendar.

It is orchestration across apps, so it lives at the top of the stack:

1. the orders whose deadline has passed (``hejie.complaints.sweep.sweep_orders``:
   fail at 14 days, automatic urges, reminders, closing silent offers; their
   events carry the figures, ratings, list candidates, notices and webhooks);
2. the ratings of businesses whose oldest case has just left the rating window
   (``hejie.ratings.services.ratings_expire_due``);
3. black-list entries that end by rule after 180 days without a failed case
   (``hejie.ratings.lists.blacklist_expire``);
4. webhook deliveries whose retry is due (``hejie.webhooks.services.deliveries_dispatch_due``);
5. messages whose retry is due or whose quiet hours have ended
   (``hejie.notifications.services.deliver_due``);
6. claim invitations to businesses without an account, sent again while unclaimed
   (``hejie.businesses.claims.invitations_resend_due``);
7. the daily digest of each staff member, once a day from ``HEJIE_DIGEST_HOUR`` (Asia/Shanghai)
   (``hejie.oversight.digest.digests_send_due``);
8. the clocks on the council's own queues (review, mediation, appeals): their staff reminded
   ``council_reminder_workdays`` before each deadline and urged, with the council above, once it has
   passed, once each (``hejie.oversight.services.council_clocks_due``).

``hejie sweep`` runs one pass; ``hejie serve`` runs it on an interval
(``hejie.ops.sweeper``); with a broker, Celery beat sends the ``hejie.sweep`` task
(``hejie.ops.tasks``). Running it twice changes nothing the second time.

A pass does not overlap another: it holds the lease ``sweep`` (``hejie.core.leases``, a row
in the database, so on SQLite too) while it runs, renewed between its steps; a pass that
finds it held does nothing and says so (``SweepReport.skipped``, and the log). The lease
expires ``HEJIE_SWEEP_LOCK_SECONDS`` (600) after its last renewal, so a sweeper that died
holding it blocks the next passes for at most that long. The lock is for economy, not
correctness: two passes at once would still act once per order (rows are claimed with
``FOR UPDATE SKIP LOCKED`` and every step checks the order's state under its row lock).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from hejie.businesses.claims import invitations_resend_due
from hejie.complaints.policy import get_policy
from hejie.complaints.sweep import BATCH_SIZE, sweep_orders
from hejie.core import clock
from hejie.core.leases import lease_acquire, lease_holder, lease_release, lease_renew
from hejie.notifications.services import deliver_due
from hejie.ops.metrics import timed_sweep
from hejie.oversight.digest import digests_send_due
from hejie.oversight.services import council_clocks_due
from hejie.ratings.lists import blacklist_expire
from hejie.ratings.services import ratings_expire_due
from hejie.webhooks.services import deliveries_dispatch_due

logger = logging.getLogger("hejie.sweep")

LEASE = "sweep"
LOCK_SECONDS = 600


@dataclass
class SweepReport:
    now: dt.datetime
    examined: int = 0
    actions: Counter = field(default_factory=Counter)
    ratings_refreshed: int = 0
    blacklist_removed: int = 0
    messages_due: int = 0
    invitations_resent: int = 0
    digests_sent: int = 0
    council_clock_notices: int = 0
    errors: int = 0
    skipped: str = ""  # why this pass did nothing (another pass holds the lease), or ""

    def __str__(self) -> str:
        if self.skipped:
            return f"sweep at {self.now.isoformat()}: skipped: {self.skipped}"
        acts = ", ".join(f"{k} {v}" for k, v in sorted(self.actions.items())) or "nothing due"
        return (f"sweep at {self.now.isoformat()}: examined {self.examined} orders; {acts}; "
                f"ratings refreshed {self.ratings_refreshed}; "
                f"black-list entries ended by rule {self.blacklist_removed}; "
                f"messages due {self.messages_due}; claim invitations sent again {self.invitations_resent}; "
                f"digests sent {self.digests_sent}; council clock notices {self.council_clock_notices}; "
                f"errors {self.errors}")


def lock_ttl() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "HEJIE_SWEEP_LOCK_SECONDS", LOCK_SECONDS)))


@timed_sweep  # its duration and outcome, for /metrics
def sweep(now: dt.datetime | None = None, *, batch_size: int = BATCH_SIZE) -> SweepReport:
    """One pass, unless another pass holds the sweep's lease: then nothing, and a report that
    says it was skipped."""
    now = now or clock.now()
    ttl = lock_ttl()
    token = lease_acquire(LEASE, ttl=ttl)
    if token is None:
        held = lease_holder(LEASE)
        until = held.expires_at.isoformat() if held and held.expires_at else "now"
        report = SweepReport(now=now, skipped=f"another sweep is running (its lease runs until {until})")
        logger.warning("%s", report)
        return report
    try:
        return _sweep(now, batch_size=batch_size, renew=lambda: lease_renew(LEASE, token, ttl=ttl))
    finally:
        lease_release(LEASE, token)


def _sweep(now: dt.datetime, *, batch_size: int, renew: Callable[[], bool]) -> SweepReport:
    orders = sweep_orders(now, batch_size=batch_size)
    report = SweepReport(now=now, examined=orders.examined, actions=orders.actions, errors=orders.errors)
    renew()
    report.ratings_refreshed = ratings_expire_due(now=now, batch_size=batch_size, policy=get_policy())
    report.blacklist_removed = blacklist_expire(now=now)  # 180 days without a failed case
    deliveries_dispatch_due(now=now)  # webhook retries that are due (never raises)
    renew()
    try:
        report.invitations_resent = invitations_resend_due(now=now)
    except Exception:
        logger.exception("sending claim invitations again failed")
        report.errors += 1
    try:
        report.messages_due = deliver_due(now=now)  # message retries and the end of quiet hours
    except Exception:  # a channel's trouble must not stop the sweep; the next pass tries again
        logger.exception("sending the due messages failed")
        report.errors += 1
    renew()
    try:
        report.digests_sent = digests_send_due(now=now)  # once a day per person, from the digest hour
    except Exception:
        logger.exception("sending the daily digests failed")
        report.errors += 1
    renew()
    try:
        report.council_clock_notices = council_clocks_due(now=now)  # once per deadline and person
    except Exception:
        logger.exception("the council's queue clocks failed")
        report.errors += 1
    if report.actions or report.errors or report.blacklist_removed or report.digests_sent or \
            report.council_clock_notices:
        logger.info("%s", report)
    return report
