"""The council's dashboard: the figures of a region's subtree over a period,
broken down and over time, in a fixed number of queries.

What each figure means is said once, in ``hejie.complaints.stats`` (the set is
the orders *filed* in the period, by Asia/Shanghai calendar dates; ``settled``
is settled by the consumer's acceptance; ``failed`` is scored as a failed
case; the median and the 90th percentile come from the daily distribution).
This module adds:

* Breakdowns of the same set by sub-region (the region's children), by
  industry and by business (the top N by complaints, and the top N by failed
  cases).
* Trends: the same set per calendar bucket (day, ISO week starting Monday, or
  month, in Asia/Shanghai), each bucket counting the orders *filed* in it and,
  of those, how many are settled and failed by now (a cohort view: a figure
  of a bucket links to the very orders it counts).
* Surges: ``hejie.oversight.surges`` for businesses and industries, as of now.

Everything but the overdue counts is read from the daily figures
(``hejie.complaints.figures``): the work grows with the days and the regions
shown, not with the orders behind them, and the number of queries is fixed
(a test pins it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from hejie.businesses.models import Business, Industry
from hejie.complaints import figures as daily
from hejie.complaints.stats import complaint_figures, stats_period
from hejie.core import clock
from hejie.core.errors import invalid
from hejie.oversight import surges as surge_rule
from hejie.regions.models import Region

PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP_N = 10
GRAINS = ("day", "week", "month")


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
            n = int(days) if days is not None and days != "" else DEFAULT_DAYS
        except (TypeError, ValueError):
            raise invalid("days", _("请选择 7、30 或 90 天")) from None
        if n not in PRESET_DAYS:
            raise invalid("days", _("请选择 7、30 或 90 天"))
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


# --------------------------------------------------------------------------- the dashboard


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(values: dict[str, Any]) -> dict[str, Any]:
    values = {k: values.get(k) or 0 for k in ("total", "settled", "failed")}
    return {**values, "settlement_rate": _rate(values["settled"], values["total"])}


def subregions(region: Region | None) -> list[Region]:
    """The region's children (provinces for the whole country)."""
    if region is None:
        return list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
    return list(Region.objects.filter(parent_id=region.code).order_by("code"))


def subregion_breakdown(children: list[Region], *, industry: str | None = None, date_from: dt.date,
                        date_to: dt.date) -> list[dict[str, Any]]:
    """One row per child region (those with no orders too). One query."""
    if not children:
        return []
    rows = daily.figure_rows(nodes=[c.code for c in children], industry=industry, date_from=date_from,
                             date_to=date_to)
    totals = {r.pop("node"): r for r in rows.values("node").annotate(**daily.COUNTS).order_by()}
    return [{"region": child, **_row(totals.get(child.code, {}))} for child in children]


def industry_breakdown(*, region: Region | None, industry: str | None = None, date_from: dt.date,
                       date_to: dt.date) -> list[dict[str, Any]]:
    """One row per industry with orders, most complaints first (orders against no business
    on the platform have no industry and are left out). Two queries."""
    counted = (daily.figure_rows(region=region, industry=industry, date_from=date_from, date_to=date_to)
               .exclude(industry="").values("industry").annotate(**daily.COUNTS).order_by())
    rows = [r for r in counted if r["total"]]
    names = {code: (zh, en) for code, zh, en in
             Industry.objects.filter(pk__in=[r["industry"] for r in rows]).values_list("pk", "name", "name_en")}
    out = [{"code": r["industry"], "name": names.get(r["industry"], (r["industry"],) * 2)[0],
            "name_en": names.get(r["industry"], (r["industry"],) * 2)[1], **_row(r)} for r in rows]
    return sorted(out, key=lambda r: (-r["total"], r["code"]))


def business_top(*, region: Region | None, date_from: dt.date, date_to: dt.date, by: str = "total",
                 top: int = TOP_N) -> list[dict[str, Any]]:
    """The top ``top`` businesses by complaints (``by="total"``) or failed cases (``by="failed"``). Two queries."""
    qs = daily.business_rows(region=region, date_from=date_from, date_to=date_to).values("business_id").annotate(
        **daily.COUNTS)
    if by == "failed":
        qs = qs.filter(failed__gt=0)
    else:
        qs = qs.filter(total__gt=0)
    rows = list(qs.order_by(f"-{by}", "-total", "business_id")[:top])
    names = dict(Business.objects.filter(pk__in=[r["business_id"] for r in rows]).values_list("pk", "name"))
    return [{"id": r["business_id"], "name": names.get(r["business_id"], str(r["business_id"])), **_row(r)}
            for r in rows]


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


def bucket_start(day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def trends(period: Period, grain: str, *, region: Region | None, industry: str | None = None) -> list[dict[str, Any]]:
    """Filed, settled and failed per bucket (see the module docstring), every
    bucket of the period present (zeros where nothing was filed). One query."""
    if grain not in GRAINS:
        raise invalid("grain", _("按日、周或月"))
    found: dict[dt.date, dict[str, Any]] = {}
    for day, row in daily.by_day(region=region, industry=industry, date_from=period.date_from,
                                 date_to=period.date_to).items():
        target = found.setdefault(bucket_start(day, grain), {"total": 0, "settled": 0, "failed": 0})
        for key in target:
            target[key] += row[key] or 0
    out = []
    for first in _buckets(period, grain):
        r = found.get(first, {})
        last = bucket_end(first, grain)
        out.append({"start": first, "end": last,
                    # the part of the bucket inside the period (what its links select)
                    "from": max(first, period.date_from), "to": min(last, period.date_to),
                    "filed": r.get("total", 0), "settled": r.get("settled", 0), "failed": r.get("failed", 0)})
    return out


def dashboard(*, region: Region | None, period: Period, grain: str | None = None, now: dt.datetime | None = None,
              top: int = TOP_N) -> dict[str, Any]:
    """Everything the dashboard shows for ``region``'s subtree (None: the whole
    country) over ``period``. A fixed number of queries."""
    now = now or clock.now()
    grain = grain or default_grain(period)
    date_from, date_to = period.date_from, period.date_to
    figures = complaint_figures(region=region, date_from=date_from, date_to=date_to, overdue=True, now=now)
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
        "subregions": subregion_breakdown(children, date_from=date_from, date_to=date_to),
        "industries": industry_breakdown(region=region, date_from=date_from, date_to=date_to),
        "businesses": business_top(region=region, date_from=date_from, date_to=date_to, by="total", top=top),
        "failing": business_top(region=region, date_from=date_from, date_to=date_to, by="failed", top=top),
        "trends": trends(period, grain, region=region),
        "surges": {level: surge_rule.surges(region=region, level=level, now=now) for level in ("business",
                                                                                             "industry")},
    }
