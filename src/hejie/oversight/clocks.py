"""The clocks on the council's own queues (reads): orders waiting for review, mediations under way and
black-list appeals waiting, each with its deadline (``Complaint.review_by``, ``Mediation.decide_by``,
``BlacklistAppeal.decide_by``, counted in working days by ``hejie.workdays.calendar``), ordered by time
left with the overdue first; and, for a parent council, how many of each are overdue in each child
region. Scoped by ``businesses.selectors.oversight_region`` and ``access.jurisdiction_q``: council staff
see their jurisdiction's subtree, operators everything, anyone else is refused.

The sweep's reminders and urges on these clocks are ``hejie.oversight.services.council_clocks_due``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet

from hejie.accounts import access
from hejie.businesses.selectors import oversight_region
from hejie.complaints.models import Complaint, Mediation
from hejie.complaints.states import State
from hejie.core import clock
from hejie.core.errors import NotFound
from hejie.ratings.models import BlacklistAppeal
from hejie.regions.selectors import region_children
from hejie.workdays import calendar

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.regions.models import Region

REVIEW, MEDIATION, APPEALS = "review", "mediation", "appeals"
QUEUES = (REVIEW, MEDIATION, APPEALS)
QUEUE_MAX = 500  # the most rows a queue page shows (the overdue and nearest first)


@dataclass(frozen=True)
class Spec:
    """Where a queue's items live: the open rows, their deadline field, the prefix to the fields
    carrying ``region_l1/l2/l3``, and when the item arrived."""

    deadline: str
    region_prefix: str
    arrived: str

    def open_rows(self, queue: str) -> QuerySet[Any]:
        if queue == REVIEW:
            return Complaint.objects.filter(state=State.PENDING_REVIEW).select_related("business", "region")
        if queue == MEDIATION:
            return (Mediation.objects.filter(outcome="", complaint__state=State.MEDIATING)
                    .select_related("complaint__business", "complaint__region"))
        return (BlacklistAppeal.objects.filter(status=BlacklistAppeal.Status.PENDING)
                .select_related("entry__business__region"))


SPECS = {
    REVIEW: Spec("review_by", "", "created_at"),
    MEDIATION: Spec("decide_by", "complaint__", "requested_at"),
    APPEALS: Spec("decide_by", "entry__business__", "created_at"),
}


def spec(queue: str) -> Spec:
    try:
        return SPECS[queue]
    except KeyError:
        raise NotFound(queue) from None


@dataclass(frozen=True)
class Item:
    """One row of a council queue: the order (review, mediation) or the appeal, its deadline and
    where it stands at ``now`` in working days."""

    queue: str
    row: Any  # Complaint, Mediation or BlacklistAppeal
    order: Complaint | None
    arrived_at: dt.datetime
    deadline: dt.datetime | None
    left: int | None  # working days after today up to the last day (0 on the last day)
    overdue: int | None  # working days begun since the deadline passed (0 before it)
    is_overdue: bool

    @property
    def last_day(self) -> dt.date | None:
        return calendar.last_day(self.deadline) if self.deadline is not None else None

    @property
    def region_l1(self) -> str:
        return str(regional(self.queue, self.row).region_l1)


def regional(queue: str, row: Any) -> Any:
    """The row carrying the item's region (``region``, ``region_l1/l2/l3``): the order, or the appealing business."""
    if queue == REVIEW:
        return row
    if queue == MEDIATION:
        return row.complaint
    return row.entry.business


def in_region(queue: str, region: Region | None) -> QuerySet[Any]:
    """The open items of ``queue`` in ``region``'s subtree (everywhere for None)."""
    s = spec(queue)
    qs = s.open_rows(queue)
    return qs.filter(access.jurisdiction_q(region, s.region_prefix)) if region is not None else qs


def by_time_left(qs: QuerySet[Any], queue: str) -> QuerySet[Any]:
    """Overdue first, then by time left; items without a deadline (an order waiting for its
    business to claim an account) last."""
    s = spec(queue)
    return qs.order_by(F(s.deadline).asc(nulls_last=True), s.arrived, "pk")


def items(queue: str, rows: list[Any], *, now: dt.datetime) -> list[Item]:
    s = spec(queue)
    deadlines = [getattr(r, s.deadline) for r in rows]
    out = []
    for row, deadline, standing in zip(rows, deadlines, calendar.standings(now, deadlines), strict=True):
        left, overdue = standing if standing is not None else (None, None)
        out.append(Item(queue=queue, row=row, order=row if queue == REVIEW else getattr(row, "complaint", None),
                        arrived_at=getattr(row, s.arrived), deadline=deadline, left=left, overdue=overdue,
                        is_overdue=deadline is not None and now >= deadline))
    return out


def council_queue(user: Viewer, queue: str, *, now: dt.datetime | None = None, region_code: str | None = None,
                  limit: int = QUEUE_MAX) -> list[Item]:
    """The open items of ``queue`` in ``user``'s jurisdiction (or the part ``region_code`` names), overdue
    first, then by time left. Refused (``NotAllowed``) for anyone but council staff and operators."""
    now = now or clock.now()
    region = oversight_region(user, region_code)
    rows = list(by_time_left(in_region(queue, region), queue)[:limit])
    return items(queue, rows, now=now)


def queue_totals(user: Viewer, *, now: dt.datetime | None = None) -> dict[str, tuple[int, int]]:
    """For each queue of ``user``'s jurisdiction: (open items, overdue items)."""
    now = now or clock.now()
    region = oversight_region(user)
    out = {}
    for queue in QUEUES:
        field = spec(queue).deadline
        got = in_region(queue, region).aggregate(n=Count("pk"), late=Count("pk", filter=Q(**{f"{field}__lte": now})))
        out[queue] = (got["n"], got["late"])
    return out


@dataclass(frozen=True)
class ChildOverdue:
    """How many items of each council queue are overdue in one child region of a jurisdiction."""

    region: Region
    review: int
    mediation: int
    appeals: int

    @property
    def total(self) -> int:
        return self.review + self.mediation + self.appeals


def overdue_by_child(user: Viewer, *, now: dt.datetime | None = None,
                     region_code: str | None = None) -> list[ChildOverdue]:
    """For a parent council: the overdue items of each queue in each child region of its jurisdiction
    (an operator's children are the provinces), most overdue first. A county has no children: empty."""
    now = now or clock.now()
    region = oversight_region(user, region_code)
    level = region.level + 1 if region is not None else 1
    if level > 3:
        return []
    children = region_children(region.code if region is not None else None)
    counts: dict[str, dict[str, int]] = {queue: {} for queue in QUEUES}
    for queue in QUEUES:
        s = spec(queue)
        key = f"{s.region_prefix}region_l{level}"
        late = in_region(queue, region).filter(**{f"{s.deadline}__lte": now})
        counts[queue] = dict(late.values(key).annotate(n=Count("pk")).order_by().values_list(key, "n"))
    rows = [ChildOverdue(region=child, review=counts[REVIEW].get(child.code, 0),
                         mediation=counts[MEDIATION].get(child.code, 0), appeals=counts[APPEALS].get(child.code, 0))
            for child in children]
    return sorted(rows, key=lambda r: (-r.total, r.region.code))


def review_deadline(order: Complaint, *, now: dt.datetime | None = None) -> Item | None:
    """The review clock of one order in the review queue (its page shows it), or None."""
    if order.state != State.PENDING_REVIEW:
        return None
    return items(REVIEW, [order], now=now or clock.now())[0]


def mediation_clock(order: Complaint, *, now: dt.datetime | None = None) -> Item | None:
    """The clock of an order's mediation under way (its page shows it, with the extension), or None."""
    if order.state != State.MEDIATING:
        return None
    mediation = order.mediations.filter(outcome="").select_related("extended_by").first()
    return items(MEDIATION, [mediation], now=now or clock.now())[0] if mediation is not None else None
