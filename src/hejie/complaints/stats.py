"""Open figures on complaints, and the council's view of its jurisdiction.

What the figures mean (the same words on the public page and the API):

* The set: orders *filed* (``created_at``) between ``from`` and ``to``
  inclusive, as calendar dates in Asia/Shanghai; within a region's subtree
  (``region_l1/2/3`` equality, on an indexed column); of businesses in an
  industry if one is given (orders against no business on the platform have
  no industry and drop out then).
* ``total``: orders in the set; ``by_state``: how many are in each state now.
* ``settled``: orders the consumer settled by accepting an offer (``settled_at``
  set — a settled order later taken into mediation still counts);
  ``failed``: orders scored as failed cases (the business refused, or 14 days
  passed), whatever came after.
* ``settlement_rate`` = settled ÷ total (as on a business's profile: of all
  complaints filed, the share settled by agreement); ``None`` when total is 0.
* ``settled_within_24h``: settled orders whose settlement came at most 24 hours
  after delivery (the 5-star tier); ``settled_within_24h_share`` is their share
  of ``settled``.
* ``median_hours_to_settle``: the median of delivery → settlement over the
  settled orders, exact (the mean of the two middle values for an even count),
  computed by the database: ``percentile_cont(0.5)`` on PostgreSQL, the one or
  two middle rows of an ordered query elsewhere.

Council staff (and operators) also get ``overdue``, as of now, over the region
and industry but regardless of the period (an open order was filed recently
anyway):

* ``awaiting_first_response``: delivered, no first response, ``respond_by`` passed;
* ``near_settle_by``: still reconciling, ``settle_by`` within the next 48 hours;
* ``past_settle_by``: still reconciling with ``settle_by`` passed — the sweep
  has not ended them yet (it should be 0 but for the moments between sweeps).

Who sees what: the public (and consumers and business staff) the aggregates of
any region; council staff their own subtree by default, any region inside it,
and a region outside it is refused (403: the region exists, it is not theirs —
the public figures remain available without a token); operators everything.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL

from hejie.businesses.permissions import is_operator
from hejie.businesses.selectors import industry_get, oversight_region
from hejie.complaints.models import Complaint
from hejie.complaints.policy import overdue_filters
from hejie.complaints.states import RECONCILING, State
from hejie.core import clock
from hejie.core.errors import invalid
from hejie.regions.selectors import region_get

if TYPE_CHECKING:
    from hejie.accounts.models import User
    from hejie.businesses.models import Industry
    from hejie.regions.models import Region

EARLIEST_DATE = dt.date(2000, 1, 1)
FAST_SETTLEMENT = dt.timedelta(hours=24)


TABLE = Complaint._meta.db_table


class _Percentile(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY …)`` — PostgreSQL."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _took() -> ExpressionWrapper:
    return ExpressionWrapper(F("settled_at") - F("delivered_at"), output_field=DurationField())


TABLE = Complaint._meta.db_table


def percentile_hours(settled: QuerySet, fraction: float, count: int | None = None) -> float | None:
    """The exact ``percentile_cont(fraction)`` of delivery → settlement over
    ``settled`` (orders with both moments), in hours; None when there are none.
    One query (two on SQLite when ``count`` is not given)."""
    if connection.vendor == "postgresql":
        value = settled.aggregate(p=_Percentile(_took(), fraction))["p"]
        return value.total_seconds() / 3600 if value is not None else None
    if count is None:
        count = settled.count()
    if not count:
        return None
    position = fraction * (count - 1)
    lo, hi = math.floor(position), math.ceil(position)
    # Ordered by a key SQLite computes natively (julianday difference: Django's own duration
    # arithmetic runs a Python function per row, a hundred times slower); the picked rows'
    # durations are then computed exactly from their two moments. Two durations closer than
    # the key's resolution (about 0.1 ms) may swap places, which changes nothing shown.
    key = RawSQL(f'julianday("{TABLE}"."settled_at") - julianday("{TABLE}"."delivered_at")', (),  # noqa: S611
                 output_field=FloatField()) if connection.vendor == "sqlite" else _took()
    rows = list(settled.annotate(key=key).order_by("key", "pk").values_list("delivered_at", "settled_at")
                [lo:hi + 1])
    if not rows:
        return None
    a = (rows[0][1] - rows[0][0]).total_seconds()
    b = (rows[-1][1] - rows[-1][0]).total_seconds()
    return (a + (b - a) * (position - lo)) / 3600



def stats_period(date_from: dt.date | None, date_to: dt.date | None, *, today: dt.date | None = None
                 ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Check a period of calendar dates (Asia/Shanghai) and turn it into
    ``[start, end)`` aware datetimes. Dates before 2000 or after today, and a
    ``to`` before ``from``, are refused (``InvalidInput`` on the field)."""
    today = today or clock.local_date()
    for field, value in (("from", date_from), ("to", date_to)):
        if value is not None and value < EARLIEST_DATE:
            raise invalid(field, f"日期不能早于{EARLIEST_DATE} ({field} is before {EARLIEST_DATE})")
        if value is not None and value > today:
            raise invalid(field, f"日期不能晚于今天 {today} ({field} is after today, {today})")
    if date_from and date_to and date_to < date_from:
        raise invalid("to", "结束日期不能早于开始日期 (to is before from)")

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=clock.SHANGHAI)

    start = midnight(date_from) if date_from else None
    end = midnight(date_to + dt.timedelta(days=1)) if date_to else None
    return start, end


def complaint_figures(*, region: Region | None = None, industry: Industry | None = None,
                      start: dt.datetime | None = None, end: dt.datetime | None = None,
                      overdue: bool = False, now: dt.datetime | None = None) -> dict:
    """The figures of the module docstring. Three to four queries."""
    now = now or clock.now()
    scope = Complaint.objects.all()
    if region is not None:
        # every state listed (the set is unchanged) so that the planner walks the index
        # (region_lN, state, created_at) with the period as its range (bench/dashboard.py)
        scope = scope.filter(**region.subtree_filter(), state__in=State.values)
    if industry is not None:
        scope = scope.filter(business__industry=industry)
    period = scope
    if start is not None:
        period = period.filter(created_at__gte=start)
    if end is not None:
        period = period.filter(created_at__lt=end)

    settled_q = Q(settled_at__isnull=False, delivered_at__isnull=False)
    aggregates = {
        "total": Count("id"),
        "settled": Count("id", filter=settled_q),
        "failed": Count("id", filter=Q(scored_at__isnull=False, stars=0)),
        "within_24h": Count("id", filter=settled_q & Q(settled_at__lte=F("delivered_at") + FAST_SETTLEMENT)),
    }
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        aggregates["median"] = _Percentile(_took(), 0.5, filter=settled_q)
    agg = period.aggregate(**aggregates)
    by_state = dict(period.values_list("state").annotate(n=Count("id")).order_by())

    total, settled = agg["total"], agg["settled"]
    if on_postgres:
        median = agg["median"].total_seconds() / 3600 if agg["median"] is not None else None
    else:
        median = percentile_hours(period.filter(settled_q), 0.5, settled)
    figures = {
        "total": total,
        "by_state": {state: by_state.get(state, 0) for state in State.values},
        "settled": settled,
        "failed": agg["failed"],
        "settlement_rate": round(settled / total, 4) if total else None,
        "settled_within_24h": agg["within_24h"],
        "settled_within_24h_share": round(agg["within_24h"] / settled, 4) if settled else None,
        "median_hours_to_settle": round(median, 2) if median is not None else None,
        "overdue": None,
    }
    if overdue:
        figures["overdue"] = {
            "as_of": now,
            **scope.filter(state__in=sorted(RECONCILING)).aggregate(
                **{name: Count("id", filter=q) for name, q in overdue_filters(now).items()}
            ),
        }
    return figures


def complaint_stats_for(user: User | None, *, region_code: str | None = None, industry: str | None = None,
                        date_from: dt.date | None = None, date_to: dt.date | None = None,
                        now: dt.datetime | None = None) -> dict:
    """The figures ``user`` may see (module docstring), with what they cover:
    ``region`` (None: the whole country), ``industry``, ``from``, ``to``."""
    now = now or clock.now()
    start, end = stats_period(date_from, date_to, today=clock.local_date(now))
    industry_row = industry_get(industry) if industry else None
    is_council = getattr(user, "is_authenticated", False) and user.is_active and user.role == "council"
    if is_council or is_operator(user):
        region = oversight_region(user, region_code)
        overdue = True
    else:
        region = region_get(region_code, field="region") if region_code else None
        overdue = False
    figures = complaint_figures(region=region, industry=industry_row, start=start, end=end, overdue=overdue,
                                now=now)
    return {"region": region, "industry": industry_row, "from": date_from, "to": date_to, **figures}
