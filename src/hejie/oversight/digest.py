"""The daily digest: once per local day (Asia/Shanghai), at or after ``HEJIE_DIGEST_HOUR``
(default 8; ``off``: none), each active staff member is told what concerns them, as a notice of event
``digest`` (kind ``DIGEST``: by email unless they chose otherwise on /account/channels/; the
in-app notice is always kept, so someone who turned every channel off for the digest still
finds it among their notices).

- Business staff: their business's orders delivered since their last digest, waiting for the
  business's answer (reconciling, no offer of theirs pending), overdue (first response or the
  settle-by moment passed: ``complaints.policy.overdue_filters``), urged and not acknowledged,
  and offers the consumer answered since their last digest: a count and up to five order numbers
  each, with the link to the matching list (``/complaints/?view=...``).
- Council staff: their jurisdiction's queues (``oversight.orders.queue_counts``: review, to urge,
  mediation, failed), each count with the link ``/council/orders/?queue=...``.
- Partner staff: how many of their merchants have orders waiting for a claim, and how many have
  overdue orders (``complaints.selectors.partner_businesses``, which reads "overdue" as of the
  clock's now, the moment the sweep runs at).
- Operators and consumers get none.

Nobody with nothing to report gets one. The once is a ``notifications.DigestRun`` row per person
and day (unique), written in the transaction that writes the digest: a second pass the same day,
or a second sweep running at the same moment, finds the row (or waits for it on PostgreSQL and
is refused) and sends nothing. A person with nothing to report gets a row without a notice, so
they are examined once a day, not every minute.

The title and body are stored text, ``中文 (english)`` (``core.i18n.pick``): the notice page
shows the reader's half, each message carries its recipient's language.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hejie.accounts import access
from hejie.complaints.models import Complaint, Proposal, Urge
from hejie.complaints.policy import overdue_filters
from hejie.complaints.selectors import partner_businesses
from hejie.complaints.states import RECONCILING, Side
from hejie.core import clock
from hejie.notifications.channels.email import public_url
from hejie.notifications.models import DigestRun
from hejie.notifications.services import notify
from hejie.oversight.orders import QUEUES, queue_counts

if TYPE_CHECKING:
    from hejie.accounts.models import User

logger = logging.getLogger("hejie.digest")

EVENT = "digest"
NUMBERS = 5  # order numbers listed per line at most
BATCH = 500  # people examined per pass at most; the next pass (a minute later) takes the rest
FIRST_SINCE = dt.timedelta(days=1)  # "new" for someone who never had a digest: the last day

BUSINESS_LIST = "/complaints/"
COUNCIL_LIST = "/council/orders/"
PARTNER_LIST = "/partners/businesses/"

# Each line of a digest: what it says (a count of orders, or of merchants and their orders), and
# for business staff the view of their list it links to.
BUSINESS_LINES = {
    "new": (gettext_lazy("新投诉：%(count)s 件"), "open"),
    "waiting": (gettext_lazy("等待你方处理：%(count)s 件"), "waiting"),
    "overdue": (gettext_lazy("已超期：%(count)s 件"), "overdue"),
    "urged": (gettext_lazy("被催办未确认：%(count)s 件"), "urged"),
    "answered": (gettext_lazy("消费者已答复的方案：%(count)s 件"), "all"),
}
COUNCIL_LINES = {
    "review": gettext_lazy("待审核：%(count)s 件"),
    "urge": gettext_lazy("超期待催办：%(count)s 件"),
    "mediation": gettext_lazy("调解中：%(count)s 件"),
    "failed": gettext_lazy("和解失败：%(count)s 件"),
}
PARTNER_LINES = {
    "waiting_claim": gettext_lazy("有投诉等待认领的商户：%(count)s 家，投诉 %(orders)s 件"),
    "overdue": gettext_lazy("有超期投诉的商户：%(count)s 家，投诉 %(orders)s 件"),
}


def digest_hour() -> int | None:
    """The local hour from which the day's digests go (``HEJIE_DIGEST_HOUR``); None: no digests."""
    hour = getattr(settings, "HEJIE_DIGEST_HOUR", 8)
    return None if hour is None or hour == "" else int(hour)


@dataclass(frozen=True)
class Line:
    key: str
    count: int
    url: str
    numbers: tuple[str, ...] = ()
    orders: int | None = None  # partner lines: the orders behind the merchants counted


@dataclass
class Digest:
    """What one person is told today; empty (falsy) when there is nothing to report."""

    url: str
    labels: dict[str, object]
    lines: list[Line] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(line.count for line in self.lines)

    def title(self, day: dt.date) -> str:
        return _("每日摘要 %(day)s") % {"day": day.isoformat()}

    def body(self) -> str:
        out = [_("今天需要你关注的：")]
        for line in self.lines:
            if not line.count:
                continue
            out.append(str(self.labels[line.key]) % {"count": line.count, "orders": line.orders or 0})
            if line.numbers:
                more = ", …" if line.count > len(line.numbers) else ""
                out.append("  " + ", ".join(line.numbers) + more)
            out.append("  " + public_url(line.url))
        return "\n".join(out)


# --- what each person is told ---------------------------------------------------------------


def business_digest(user: User, *, now: dt.datetime, since: dt.datetime) -> Digest:
    """A business staff member's digest: their business's orders (see the module's docstring)."""
    due = overdue_filters(now)
    urges = Urge.objects.filter(complaint=OuterRef("pk"), acknowledged_at__isnull=True)
    pending = Proposal.objects.filter(complaint=OuterRef("pk"), side=Side.BUSINESS, status=Proposal.Status.PENDING)
    answered = Proposal.objects.filter(
        complaint=OuterRef("pk"), side=Side.BUSINESS, decided_at__gt=since, decided_at__lte=now,
        status__in=[Proposal.Status.ACCEPTED, Proposal.Status.REJECTED, Proposal.Status.COUNTER])
    orders = Complaint.objects.filter(access.orders_q(user)).annotate(
        offer_pending=Exists(pending), urge_open=Exists(urges), offer_answered=Exists(answered))
    filters = {
        "new": Q(delivered_at__gt=since, delivered_at__lte=now),
        "waiting": Q(state__in=sorted(RECONCILING), offer_pending=False),
        "overdue": due["awaiting_first_response"] | due["past_settle_by"],
        "urged": Q(urge_open=True),
        "answered": Q(offer_answered=True),
    }
    counts = orders.aggregate(**{key: Count("pk", filter=f) for key, f in filters.items()})
    digest = Digest(url=BUSINESS_LIST, labels={k: label for k, (label, _view) in BUSINESS_LINES.items()})
    for key, f in filters.items():
        count = int(counts[key] or 0)
        numbers: tuple[str, ...] = ()
        if count:
            numbers = tuple(orders.filter(f).order_by("-created_at", "-id").values_list("number", flat=True)[:NUMBERS])
        digest.lines.append(Line(key, count, f"{BUSINESS_LIST}?view={BUSINESS_LINES[key][1]}", numbers))
    return digest


def council_digest(user: User, *, now: dt.datetime, since: dt.datetime) -> Digest:
    """A council member's digest: the queues of their jurisdiction (``queue_counts``)."""
    counts = queue_counts(user, now=now)
    digest = Digest(url=COUNCIL_LIST, labels=dict(COUNCIL_LINES))
    digest.lines = [Line(q, counts.get(q, 0), f"{COUNCIL_LIST}?queue={q}") for q in QUEUES]
    return digest


def partner_digest(user: User, *, now: dt.datetime, since: dt.datetime) -> Digest:
    """A partner staff member's digest: their merchants with orders waiting for a claim, or overdue."""
    rows = list(partner_businesses(user).values_list("waiting_claim", "overdue"))
    digest = Digest(url=PARTNER_LIST, labels=dict(PARTNER_LINES))
    for i, key in enumerate(("waiting_claim", "overdue")):
        merchants = sum(1 for row in rows if row[i])
        link = f"{PARTNER_LIST}?waiting=1" if key == "waiting_claim" else PARTNER_LIST  # the page's own filter
        digest.lines.append(Line(key, merchants, link, orders=sum(row[i] or 0 for row in rows)))
    return digest


def digest_for(user: User, *, now: dt.datetime, since: dt.datetime) -> Digest | None:
    """What ``user`` is told today, or None for someone who gets no digest (not staff)."""
    make: Callable[..., Digest] | None = None
    if access.is_business_staff(user):
        make = business_digest
    elif access.is_council(user):
        make = council_digest
    elif access.is_partner_staff(user):
        make = partner_digest
    return make(user, now=now, since=since) if make is not None else None


def _both(render: Callable[[], str]) -> str:
    """Stored text: the Chinese and the English of ``render``, ``中文 (english)``."""
    with translation.override("zh-hans"):
        zh = render()
    with translation.override("en"):
        en = render()
    return f"{zh} ({en})"


# --- the daily pass -------------------------------------------------------------------------


def digests_send_due(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Send today's digests not yet examined, once the local hour is ``HEJIE_DIGEST_HOUR`` or later
    (the sweep runs it every pass). Returns how many digests were sent."""
    now = now or clock.now()
    local = now.astimezone(clock.SHANGHAI)
    hour = digest_hour()
    if hour is None or local.hour < hour:
        return 0
    day = local.date()
    last = DigestRun.objects.filter(user=OuterRef("pk")).order_by("-day", "-id").values("created_at")[:1]
    people = list(access.staff_members().exclude(digest_runs__day=day)
                  .select_related("business", "region", "partner")
                  .annotate(last_digest_at=Subquery(last)).order_by("pk")[:limit])
    sent = 0
    for user in people:
        try:
            sent += _send_one(user, day=day, now=now)
        except Exception:  # one person's trouble must not stop the others'; the next pass tries again
            logger.exception("the digest of user %s failed", user.pk)
    return sent


def _send_one(user: User, *, day: dt.date, now: dt.datetime) -> int:
    since = getattr(user, "last_digest_at", None) or now - FIRST_SINCE
    digest = digest_for(user, now=now, since=since)
    try:
        with transaction.atomic():
            run = DigestRun.objects.create(user=user, day=day, created_at=now)  # the claim
            if not digest:
                return 0
            title = _both(lambda: digest.title(day))
            body = _both(digest.body)
            rows = notify(users=[user], event=EVENT, title=title, body=body, url=digest.url, bilingual=True)
            run.notification = rows[0]
            run.save(update_fields=["notification"])
    except IntegrityError:  # another pass has claimed this person's digest today
        return 0
    return 1
