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
* ``median_hours_to_settle`` and ``p90_hours_to_settle``: the median and the
  90th percentile of delivery → settlement over the settled orders, in hours,
  as PostgreSQL's ``percentile_cont`` defines them, read from the daily
  distribution in 6-minute steps: within 0.05 h (3 minutes) of the exact value
  (``hejie.complaints.figures.percentiles``).

Everything above is read from the daily figures (``hejie.complaints.figures``),
kept as orders change: two queries whatever the size of the region.

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
from typing import TYPE_CHECKING, overload

from django.db.models import Count
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.businesses.selectors import industry_get, oversight_region
from hejie.complaints import figures as daily
from hejie.complaints.models import Complaint
from hejie.complaints.policy import overdue_filters
from hejie.complaints.states import RECONCILING, State
from hejie.core import clock
from hejie.core.errors import invalid
from hejie.regions.selectors import region_get

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.businesses.models import Industry
    from hejie.regions.models import Region

EARLIEST_DATE = dt.date(2000, 1, 1)


@overload
def stats_period(date_from: dt.date, date_to: dt.date, *, today: dt.date | None = None
                 ) -> tuple[dt.datetime, dt.datetime]: ...
@overload
def stats_period(date_from: dt.date | None, date_to: dt.date | None, *, today: dt.date | None = None
                 ) -> tuple[dt.datetime | None, dt.datetime | None]: ...
def stats_period(date_from: dt.date | None, date_to: dt.date | None, *, today: dt.date | None = None
                 ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Check a period of calendar dates (Asia/Shanghai) and turn it into
    ``[start, end)`` aware datetimes. Dates before 2000 or after today, and a
    ``to`` before ``from``, are refused (``InvalidInput`` on the field)."""
    today = today or clock.local_date()
    for field, value in (("from", date_from), ("to", date_to)):
        if value is not None and value < EARLIEST_DATE:
            raise invalid(field, _("日期不能早于%(date)s") % {"date": EARLIEST_DATE})
        if value is not None and value > today:
            raise invalid(field, _("日期不能晚于今天 %(today)s") % {"today": today})
    if date_from and date_to and date_to < date_from:
        raise invalid("to", _("结束日期不能早于开始日期"))

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=clock.SHANGHAI)

    start = midnight(date_from) if date_from else None
    end = midnight(date_to + dt.timedelta(days=1)) if date_to else None
    return start, end


def complaint_figures(*, region: Region | None = None, industry: Industry | None = None,
                      date_from: dt.date | None = None, date_to: dt.date | None = None,
                      overdue: bool = False, now: dt.datetime | None = None) -> dict:
    """The figures of the module docstring over the orders filed from ``date_from`` to
    ``date_to`` (calendar dates, both inclusive; None: no bound). Two queries, three
    with ``overdue``."""
    now = now or clock.now()
    scope = {"region": region, "industry": industry.code if industry is not None else None,
             "date_from": date_from, "date_to": date_to}
    states = daily.rows_by_state(**scope)
    total = sum(row["total"] for row in states.values())
    settled = sum(row["settled"] for row in states.values())
    within_24h = sum(row["within_24h"] for row in states.values())
    median, p90 = daily.percentiles((0.5, 0.9), **scope) if settled else (None, None)
    figures = {
        "total": total,
        "by_state": {state: states.get(state, {}).get("total", 0) for state in State.values},
        "settled": settled,
        "failed": sum(row["failed"] for row in states.values()),
        "settlement_rate": round(settled / total, 4) if total else None,
        "settled_within_24h": within_24h,
        "settled_within_24h_share": round(within_24h / settled, 4) if settled else None,
        "median_hours_to_settle": round(median, 2) if median is not None else None,
        "p90_hours_to_settle": round(p90, 2) if p90 is not None else None,
        "overdue": None,
    }
    if overdue:
        live = Complaint.objects.all()
        if region is not None:
            live = live.filter(**region.subtree_filter())
        if industry is not None:
            live = live.filter(business__industry=industry)
        figures["overdue"] = {
            "as_of": now,
            **live.filter(state__in=sorted(RECONCILING)).aggregate(
                **{name: Count("id", filter=q) for name, q in overdue_filters(now).items()}
            ),
        }
    return figures


def complaint_stats_for(user: Viewer, *, region_code: str | None = None, industry: str | None = None,
                        date_from: dt.date | None = None, date_to: dt.date | None = None,
                        now: dt.datetime | None = None) -> dict:
    """The figures ``user`` may see (module docstring), with what they cover:
    ``region`` (None: the whole country), ``industry``, ``from``, ``to``."""
    now = now or clock.now()
    stats_period(date_from, date_to, today=clock.local_date(now))  # checks the dates
    industry_row = industry_get(industry) if industry else None
    if access.is_overseer(user):
        region = oversight_region(user, region_code)
        overdue = True
    else:
        region = region_get(region_code, field="region") if region_code else None
        overdue = False
    figures = complaint_figures(region=region, industry=industry_row, date_from=date_from, date_to=date_to,
                                overdue=overdue, now=now)
    return {"region": region, "industry": industry_row, "from": date_from, "to": date_to, **figures}
