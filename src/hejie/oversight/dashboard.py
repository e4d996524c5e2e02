"""The council's dashboard: the figures of a region's subtree over a period,
broken down and over time, in a fixed number of queries.

What each figure means is said once, in ``hejie.complaints.stats`` (the set is
the orders *filed* in the period, by Asia/Shanghai calendar dates; ``settled``
is settled by the consumer's acceptance; ``failed`` is scored as a failed
case). This module adds:

* ``p90_hours_to_settle``: the 90th percentile of delivery → settlement over
  the settled orders of the set, exact, with the same definition as
  PostgreSQL's ``percentile_cont(0.9)`` (linear interpolation between the two
  closest ranks: position ``0.9 × (n − 1)`` in the ordered values). PostgreSQL
  computes it; elsewhere the one or two rows around that position are read
  from an ordered query (never the whole column).
* Breakdowns of the same set by sub-region (the region's children: each row
  counts the orders whose region lies in that child's subtree), by industry
  and by business (the top N by complaints, and the top N by failed cases).
* Trends: the same set per calendar bucket (day, ISO week starting Monday, or
  month, in Asia/Shanghai), each bucket counting the orders *filed* in it and,
  of those, how many are settled and failed by now (a cohort view: a figure
  of a bucket links to the very orders it counts). One GROUP BY query.
* Surges: ``hejie.oversight.surges`` for businesses and industries, as of now.

The number of queries does not depend on the number of orders, businesses
or sub-regions (a test pins it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from hejie.complaints.models import Complaint
from hejie.complaints.states import State
from hejie.complaints.stats import complaint_figures, percentile_hours, stats_period
from hejie.core import clock
from hejie.core.errors import invalid
from hejie.oversight import surges as surge_rule
from hejie.regions.models import Region

PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP_N = 10
GRAINS = ("day", "week", "month")
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    """Calendar dates (Asia/Shanghai, both inclusive) and the ``[start, end)`` instants."""

    date_from: dt.date
    date_to: dt.date
    start: dt.datetime
    end: dt.datetime
    days: int | None  # the preset chosen (7, 30, 90), or None for from/to dates

    @property
    def length(self) -> int:
        return (self.date_to - self.date_from).days + 1


def period_of(*, days: str | int | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
              today: dt.date | None = None) -> Period:
    """A preset (the last 7, 30 or 90 days, today included) or from/to dates
    (checked by ``complaints.stats.stats_period``: not before 2000, not after
    today, ``to`` not before ``from``; a missing ``from`` is 30 days before
    ``to``, a missing ``to`` is today)."""
    today = today or clock.local_date()
    if date_from is None and date_to is None:
        try:
            n = int(days) if days not in (None, "") else DEFAULT_DAYS
        except (TypeError, ValueError):
            raise invalid("days", "请选择 7、30 或 90 天 (choose 7, 30 or 90 days)") from None
        if n not in PRESET_DAYS:
            raise invalid("days", "请选择 7、30 或 90 天 (choose 7, 30 or 90 days)")
        date_from, date_to, preset = today - dt.timedelta(days=n - 1), today, n
    else:
        preset = None
        date_to = date_to or today
        date_from = date_from or (date_to - dt.timedelta(days=DEFAULT_DAYS - 1))
    start, end = stats_period(date_from, date_to, today=today)
    return Period(date_from=date_from, date_to=date_to, start=start, end=end, days=preset)


def default_grain(period: Period) -> str:
    if period.length <= 31:
        return "day"
    if period.length <= 190:
        return "week"
    return "month"


# --------------------------------------------------------------------------- percentiles


SETTLED = Q(settled_at__isnull=False, delivered_at__isnull=False)
TABLE = Complaint._meta.db_table


# --------------------------------------------------------------------------- the dashboard


def _scope(region: Region | None) -> QuerySet:
    qs = Complaint.objects.all()
    return qs.filter(**region.subtree_filter()) if region is not None else qs


def _in_period(scope: QuerySet, region: Region | None, period: Period) -> QuerySet:
    """The orders of ``scope`` filed in ``period``. Within a region the states are
    listed too (all of them: the set is unchanged), so that the query can walk
    the index ``(region_lN, state, created_at)`` with the period as its range;
    otherwise SQLite's planner prefers skipping through the province's index and
    reads every order of the province in the period to keep a district's."""
    qs = scope.filter(created_at__gte=period.start, created_at__lt=period.end)
    if region is not None:
        qs = qs.filter(state__in=State.values)
    return qs


def _counts() -> dict:
    """What each breakdown row counts (the 24-hour share is a figure of the whole set only: on SQLite
    the date arithmetic it needs runs in Python, row by row)."""
    return {
        "total": Count("id"),
        "settled": Count("id", filter=SETTLED),
        "failed": Count("id", filter=Q(scored_at__isnull=False, stars=0)),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(values: dict) -> dict:
    return {**values, "settlement_rate": _rate(values["settled"], values["total"])}


def subregions(region: Region | None) -> list[Region]:
    """The region's children (provinces for the whole country)."""
    if region is None:
        return list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
    return list(Region.objects.filter(parent_id=region.code).order_by("code"))


def subregion_breakdown(period_qs: QuerySet, children: list[Region]) -> list[dict]:
    """One row per child region (those with no orders too), in one GROUP BY
    over the three region columns: a child's orders are those whose
    ``region_l{child.level}`` is its code (children of one parent may sit at
    different levels, e.g. a province's cities and its county-level cities)."""
    grouped = period_qs.values("region_l1", "region_l2", "region_l3").annotate(**_counts()).order_by()
    totals = {child.code: {"total": 0, "settled": 0, "failed": 0} for child in children}
    by_level: dict[int, set[str]] = {}
    for child in children:
        by_level.setdefault(child.level, set()).add(child.code)
    for row in grouped:
        for level, codes in by_level.items():
            code = row[f"region_l{level}"]
            if code in codes:
                target = totals[code]
                for key in target:
                    target[key] += row[key]
                break
    return [{"region": child, **_row(totals[child.code])} for child in children]


def industry_breakdown(period_qs: QuerySet) -> list[dict]:
    rows = (period_qs.filter(business__isnull=False)
            .values("business__industry_id", "business__industry__name", "business__industry__name_en")
            .annotate(**_counts()).order_by("-total", "business__industry_id"))
    return [{"code": r["business__industry_id"], "name": r["business__industry__name"],
             "name_en": r["business__industry__name_en"],
             **_row({k: r[k] for k in ("total", "settled", "failed")})} for r in rows]


def business_top(period_qs: QuerySet, *, by: str = "total", top: int = TOP_N) -> list[dict]:
    """The top ``top`` businesses by complaints (``by="total"``) or failed cases (``by="failed"``)."""
    qs = (period_qs.filter(business__isnull=False).values("business_id", "business__name")
          .annotate(**_counts()))
    if by == "failed":
        qs = qs.filter(failed__gt=0)
    rows = qs.order_by(f"-{by}", "-total", "business_id")[:top]
    return [{"id": r["business_id"], "name": r["business__name"],
             **_row({k: r[k] for k in ("total", "settled", "failed")})} for r in rows]


def _buckets(period: Period, grain: str) -> list[dt.date]:
    """Every bucket's first day from the period's first to its last day."""
    day = period.date_from
    if grain == "week":
        day -= dt.timedelta(days=day.weekday())
    elif grain == "month":
        day = day.replace(day=1)
    out = []
    while day <= period.date_to:
        out.append(day)
        if grain == "day":
            day += dt.timedelta(days=1)
        elif grain == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def bucket_end(first: dt.date, grain: str) -> dt.date:
    """The last day of the bucket starting on ``first``."""
    if grain == "day":
        return first
    if grain == "week":
        return first + dt.timedelta(days=6)
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


# SQLite: the bucket's first day computed natively from the stored UTC text. Asia/Shanghai has
# been UTC+8 all year since 1991 (and no date before 2000 is accepted), so "+8 hours" is its
# local time; Django's own Trunc would call a Python function (with a time-zone lookup) per row.
_SQLITE_BUCKET = {
    "day": "date({col}, '+8 hours')",
    "week": "date({col}, '+8 hours', 'weekday 0', '-6 days')",  # the Monday of its ISO week
    "month": "strftime('%Y-%m-01', {col}, '+8 hours')",
}


def _bucket(grain: str):
    if connection.vendor == "sqlite":
        sql = _SQLITE_BUCKET[grain].format(col=f'"{TABLE}"."created_at"')
        return RawSQL(sql, (), output_field=CharField())  # noqa: S611 - constant SQL
    return _TRUNC[grain]("created_at", tzinfo=clock.SHANGHAI)


def trends(period_qs: QuerySet, period: Period, grain: str) -> list[dict]:
    """Filed, settled and failed per bucket (see the module docstring), every
    bucket of the period present (zeros where nothing was filed). One query."""
    if grain not in GRAINS:
        raise invalid("grain", "按日、周或月 (day, week or month)")
    rows = period_qs.annotate(bucket=_bucket(grain)).values("bucket").annotate(
        filed=Count("id"), settled=Count("id", filter=SETTLED),
        failed=Count("id", filter=Q(scored_at__isnull=False, stars=0)),
    ).order_by("bucket")
    found = {}
    for r in rows:
        bucket = r["bucket"]
        if isinstance(bucket, str):
            bucket = dt.date.fromisoformat(bucket)
        elif isinstance(bucket, dt.datetime):
            bucket = (bucket.astimezone(clock.SHANGHAI) if bucket.tzinfo else bucket).date()
        found[bucket] = r
    out = []
    for first in _buckets(period, grain):
        r = found.get(first, {})
        last = bucket_end(first, grain)
        out.append({"start": first, "end": last,
                    # the part of the bucket inside the period (what its links select)
                    "from": max(first, period.date_from), "to": min(last, period.date_to),
                    "filed": r.get("filed", 0), "settled": r.get("settled", 0), "failed": r.get("failed", 0)})
    return out


def dashboard(*, region: Region | None, period: Period, grain: str | None = None, now: dt.datetime | None = None,
              top: int = TOP_N) -> dict:
    """Everything the dashboard shows for ``region``'s subtree (None: the whole
    country) over ``period``. A fixed number of queries."""
    now = now or clock.now()
    grain = grain or default_grain(period)
    figures = complaint_figures(region=region, start=period.start, end=period.end, overdue=True, now=now)
    period_qs = _in_period(_scope(region), region, period)
    figures["p90_hours_to_settle"] = (
        round(p, 2) if (p := percentile_hours(period_qs.filter(SETTLED), 0.9, figures["settled"])) is not None
        else None)
    figures["open"] = sum(figures["by_state"].get(s, 0) for s in ("pending_review", "delivered", "negotiating",
                                                                   "mediating"))
    children = subregions(region)
    return {
        "region": region,
        "period": period,
        "grain": grain,
        "now": now,
        "figures": figures,
        "children": children,
        "subregions": subregion_breakdown(period_qs, children),
        "industries": industry_breakdown(period_qs),
        "businesses": business_top(period_qs, by="total", top=top),
        "failing": business_top(period_qs, by="failed", top=top),
        "trends": trends(period_qs, period, grain),
        "surges": {level: surge_rule.surges(region=region, level=level, now=now) for level in ("business",
                                                                                             "industry")},
    }

