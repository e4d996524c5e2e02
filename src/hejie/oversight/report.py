"""The 3·15 report: a council's year (or any period of calendar dates) in figures, compared with
the same dates a year earlier, for the screen (``/council/report/``), the API
(``/api/v1/reports/annual``), an XLSX workbook and a printable PDF (``hejie.oversight.report_files``).

The set is the one of ``hejie.complaints.stats``: orders *filed* in the period (Asia/Shanghai
dates, both inclusive) in the region's subtree. Every count is read from the daily figures
(``hejie.complaints.figures``: a few thousand summary rows per province and year), except what
those tables do not keep, which is one grouped query each over the orders (on the
``region_lN, created_at`` indexes, aggregated by the database, never row by row):

* the CCA categories (``hejie.oversight.categories``: by industry and problem type);
* the money recovered for consumers (挽回经济损失);
* the black- and red-list decisions taken in the period.

The words:

* ``received`` (接收): orders filed; ``accepted`` (受理): received less those still waiting in
  the council's review queue (``pending_review``) and those it did not accept (``rejected``);
* ``concluded`` (办结): orders with an outcome (settled, failed, consumer unresponsive, mediated,
  mediation failed) or withdrawn by the consumer;
* ``settled`` (和解成功): settled by the consumer's acceptance (as on the dashboard: a settled order
  later taken into mediation still counts); ``mediated`` (调解成功): ended by a successful
  mediation; ``failed`` (和解失败): scored as a failed case;
* ``settlement_rate`` = settled ÷ received (the dashboard's); ``resolution_rate`` (解决率) =
  (settled + mediated) ÷ accepted, an order settled and then mediated counted once;
* ``median_hours`` and ``avg_hours``: delivery → settlement over the settled orders, in hours,
  from the daily distribution in tenths of an hour (``figures.percentiles``: within 0.05 h);
* ``recovered`` (挽回经济损失, yuan): the amount of the accepted offer of every order now settled and
  of the successful mediation of every order now mediated, unless the consumer said it was not
  fulfilled; ``recovered_confirmed``: the part the consumer confirmed fulfilled;
* ``change``: (this − previous) ÷ previous for each figure, None when the previous is 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from hejie.businesses.selectors import oversight_region
from hejie.complaints import figures as daily
from hejie.complaints.models import Complaint, DaySettleTimes, Mediation, Proposal
from hejie.complaints.states import State
from hejie.complaints.stats import EARLIEST_DATE, stats_period
from hejie.core import clock
from hejie.core.errors import invalid
from hejie.oversight import categories as cca
from hejie.oversight import dashboard as dash
from hejie.ratings.models import ListDecision
from hejie.regions.models import Region

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer

MAX_DAYS = 3 * 366 + 1  # a report covers at most three years
TOP_N = 10
LIST_ROWS = 50
NOT_ACCEPTED = (State.PENDING_REVIEW, State.REJECTED)
CONCLUDED = (State.SETTLED, State.FAILED, State.UNRESPONSIVE, State.MEDIATED, State.MEDIATION_FAILED,
             State.WITHDRAWN)
TOTALS = ("received", "accepted", "concluded", "settled", "mediated", "mediation_failed", "failed", "withdrawn",
          "rejected", "settlement_rate", "resolution_rate", "median_hours", "avg_hours", "recovered",
          "recovered_confirmed", "recovered_orders")


@dataclass(frozen=True)
class ReportPeriod:
    date_from: dt.date
    date_to: dt.date
    year: int | None  # the calendar year asked for, or None for a range

    @property
    def previous(self) -> ReportPeriod:
        """The same dates a year earlier (29 February becomes the 28th)."""
        return ReportPeriod(_year_earlier(self.date_from), _year_earlier(self.date_to),
                            self.year - 1 if self.year else None)

    @property
    def label(self) -> str:
        if self.year and self.date_from == dt.date(self.year, 1, 1) and self.date_to == dt.date(self.year, 12, 31):
            return str(self.year)
        return f"{self.date_from.isoformat()} – {self.date_to.isoformat()}"


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def report_period(*, year: object = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
                  today: dt.date | None = None) -> ReportPeriod:
    """A calendar year (the current one when nothing is given; a year still running ends today)
    or from/to dates (both needed; not before 2000, not after today, at most three years).
    ``InvalidInput`` on ``year``, ``from`` or ``to`` with the reason."""
    today = today or clock.local_date()
    if date_from is not None or date_to is not None:
        if year not in (None, ""):
            raise invalid("year", _("请选择年份或起止日期，不要同时选择"))
        if date_from is None:
            raise invalid("from", _("请填写开始日期"))
        if date_to is None:
            raise invalid("to", _("请填写结束日期"))
        stats_period(date_from, date_to, today=today)
        if (date_to - date_from).days + 1 > MAX_DAYS:
            raise invalid("to", _("报告期最长三年"))
        return ReportPeriod(date_from, date_to, None)
    if year in (None, ""):
        number = today.year
    else:
        try:
            number = int(str(year).strip())
        except ValueError:
            raise invalid("year", _("年份应为四位数字，例如 %(year)s") % {"year": today.year}) from None
    if not EARLIEST_DATE.year <= number <= today.year:
        raise invalid("year", _("年份应在 %(first)s 至 %(last)s 之间") % {"first": EARLIEST_DATE.year,
                                                                          "last": today.year})
    return ReportPeriod(dt.date(number, 1, 1), min(dt.date(number, 12, 31), today), number)


# --------------------------------------------------------------------------- the figures


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def orders_q(region: Region | None, period: ReportPeriod, prefix: str = "") -> Q:
    start, end = stats_period(period.date_from, period.date_to, today=period.date_to)
    q = Q(**{f"{prefix}created_at__gte": start, f"{prefix}created_at__lt": end})
    return q & Q(**region.subtree_filter(prefix)) if region is not None else q


def _money(region: Region | None, period: ReportPeriod) -> dict[str, Any]:
    """挽回经济损失 (module docstring). Two queries."""
    confirmed = Q(complaint__fulfilment=Complaint.Fulfilment.CONFIRMED)
    sums = {"total": Sum("amount"), "confirmed": Sum("amount", filter=confirmed),
            "orders": Count("complaint_id", distinct=True)}
    offers = Proposal.objects.filter(
        orders_q(region, period, "complaint__"), status=Proposal.Status.ACCEPTED, amount__isnull=False,
        complaint__state=State.SETTLED).exclude(complaint__fulfilment=Complaint.Fulfilment.NOT_FULFILLED)
    mediations = Mediation.objects.filter(
        orders_q(region, period, "complaint__"), outcome=Mediation.Outcome.SETTLED, amount__isnull=False,
        complaint__state=State.MEDIATED).exclude(complaint__fulfilment=Complaint.Fulfilment.NOT_FULFILLED)
    a, b = offers.aggregate(**sums), mediations.aggregate(**sums)
    cent = Decimal("0.01")
    return {"recovered": ((a["total"] or Decimal(0)) + (b["total"] or Decimal(0))).quantize(cent),
            "recovered_confirmed": ((a["confirmed"] or Decimal(0)) + (b["confirmed"] or Decimal(0))).quantize(cent),
            "recovered_orders": a["orders"] + b["orders"]}


def _average_hours(region: Region | None, period: ReportPeriod) -> float | None:
    """The mean of delivery → settlement, in hours, from the same bins as the median. One query."""
    row = daily.figure_rows(model=DaySettleTimes, region=region, date_from=period.date_from,
                            date_to=period.date_to).aggregate(settled=Sum("n"), weighted=Sum(F("bin") * F("n")))
    if not row["settled"]:
        return None
    return round(float(row["weighted"]) * daily.BIN.total_seconds() / 3600 / float(row["settled"]), 2)


def totals(region: Region | None, period: ReportPeriod) -> dict[str, Any]:
    """The headline figures of the module docstring. Five queries."""
    scope = {"region": region, "date_from": period.date_from, "date_to": period.date_to}
    states = daily.rows_by_state(**scope)

    def n(*names: str) -> int:
        return sum(states.get(s, {}).get("total", 0) or 0 for s in names)

    received = sum(row["total"] or 0 for row in states.values())
    settled = sum(row["settled"] or 0 for row in states.values())
    accepted = received - n(*NOT_ACCEPTED)
    mediated = n(State.MEDIATED)
    settled_then_mediated = states.get(State.MEDIATED, {}).get("settled", 0) or 0
    median = daily.percentiles((0.5,), **scope)[0] if settled else None
    return {
        "received": received,
        "accepted": accepted,
        "concluded": n(*CONCLUDED),
        "settled": settled,
        "mediated": mediated,
        "mediation_failed": n(State.MEDIATION_FAILED),
        "failed": sum(row["failed"] or 0 for row in states.values()),
        "withdrawn": n(State.WITHDRAWN),
        "rejected": n(State.REJECTED),
        "settlement_rate": _rate(settled, received),
        "resolution_rate": _rate(settled + mediated - settled_then_mediated, accepted),
        "median_hours": round(median, 2) if median is not None else None,
        "avg_hours": _average_hours(region, period) if settled else None,
        **_money(region, period),
    }


def _change(now: Any, before: Any) -> float | None:
    if now is None or before in (None, 0):
        return None
    return round((float(now) - float(before)) / float(before), 4)


def by_month(region: Region | None, period: ReportPeriod) -> list[dict[str, Any]]:
    """Received, settled and failed per calendar month of the period (every month present). One query."""
    found: dict[dt.date, dict[str, int]] = {}
    for day, row in daily.by_day(region=region, date_from=period.date_from, date_to=period.date_to).items():
        target = found.setdefault(day.replace(day=1), {"total": 0, "settled": 0, "failed": 0})
        for key in target:
            target[key] += row[key] or 0
    out = []
    month = period.date_from.replace(day=1)
    while month <= period.date_to:
        row = found.get(month, {})
        out.append({"month": month, "label": month.strftime("%Y-%m"), "received": row.get("total", 0),
                    "settled": row.get("settled", 0), "failed": row.get("failed", 0)})
        month = dash.bucket_end(month, "month") + dt.timedelta(days=1)
    return out


def by_quarter(months: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for m in months:
        key = (m["month"].year, (m["month"].month - 1) // 3 + 1)
        row = out.setdefault(key, {"label": f"{key[0]} Q{key[1]}", "received": 0, "settled": 0, "failed": 0})
        for k in ("received", "settled", "failed"):
            row[k] += m[k]
    return list(out.values())


def by_category(region: Region | None, period: ReportPeriod) -> dict[str, list[dict[str, Any]]]:
    """The CCA tables: by sub-class of goods and services (``classes``, with the two kinds'
    subtotals in ``kinds``) and by nature of problem (``natures``); every class listed. One query."""
    rows = (Complaint.objects.filter(orders_q(region, period)).values("business__industry_id", "problem_type")
            .annotate(n=Count("id"), settled=Count("id", filter=Q(settled_at__isnull=False))).order_by())
    classes: dict[str, dict[str, Any]] = {
        c.code: {"code": c.code, "name": c.name, "name_en": c.name_en, "kind": c.kind, "received": 0, "settled": 0}
        for c in cca.CLASSES}
    natures: dict[str, dict[str, Any]] = {
        c.code: {"code": c.code, "name": c.name, "name_en": c.name_en, "received": 0, "settled": 0}
        for c in cca.NATURES}
    for row in rows:
        for target in (classes[cca.industry_class(row["business__industry_id"]).code],
                       natures[cca.problem_nature(row["problem_type"]).code]):
            target["received"] += row["n"]
            target["settled"] += row["settled"]
    received = sum(c["received"] for c in classes.values())
    for table in (classes, natures):
        for c in table.values():
            c["share"] = _rate(c["received"], received)
    kinds = []
    for kind in (cca.GOODS, cca.SERVICES):
        members = [c for c in classes.values() if c["kind"] == kind]
        total = sum(c["received"] for c in members)
        kinds.append({"kind": kind, "name": cca.kind_label(kind), "received": total,
                      "settled": sum(c["settled"] for c in members), "share": _rate(total, received)})
    return {"kinds": kinds, "classes": list(classes.values()), "natures": list(natures.values())}


def list_changes(region: Region | None, period: ReportPeriod, *, limit: int = LIST_ROWS) -> dict[str, Any]:
    """The black- and red-list decisions taken in the period on businesses of the subtree: counts per
    list and action, and the latest ``limit`` of them. Two queries."""
    start, end = stats_period(period.date_from, period.date_to, today=period.date_to)
    qs: QuerySet[ListDecision] = ListDecision.objects.filter(created_at__gte=start, created_at__lt=end)
    if region is not None:
        qs = qs.filter(**region.subtree_filter("business__"))
    counts: dict[tuple[bool, str], int] = {}
    for r in qs.values("action").annotate(black=Count("id", filter=Q(blacklist_entry__isnull=False)),
                                          red=Count("id", filter=Q(blacklist_entry__isnull=True))).order_by():
        counts[(True, r["action"])], counts[(False, r["action"])] = r["black"], r["red"]
    actions = dict(ListDecision.Action.choices)
    summary = []
    for is_black, list_name in ((True, _("黑榜")), (False, _("红榜"))):
        for action, label in actions.items():
            value = counts.get((is_black, action), 0)
            if value:
                summary.append({"list": list_name, "action": action, "label": str(label), "count": value})
    rows = [{"date": clock.local_date(d.created_at), "business": d.business.name,
             "list": _("黑榜") if d.blacklist_entry_id else _("红榜"), "action": str(actions.get(d.action, d.action)),
             "reason": d.reason}
            for d in qs.select_related("business").order_by("-created_at", "-id")[:limit]]
    return {"summary": summary, "rows": rows}


def _industries(region: Region | None, period: ReportPeriod) -> list[dict[str, Any]]:
    rows = dash.industry_breakdown(region=region, date_from=period.date_from, date_to=period.date_to)
    for row in rows:
        row["cca"] = cca.industry_class(row["code"]).name
    return rows


def annual_report(*, region: Region | None, period: ReportPeriod, top: int = TOP_N) -> dict[str, Any]:
    """Everything the report shows for ``region``'s subtree (None: the whole country)."""
    current = totals(region, period)
    previous = totals(region, period.previous)
    months = by_month(region, period)
    return {
        "region": region,
        "region_name": region.full_name if region is not None else _("全国"),
        "period": period,
        "previous_period": period.previous,
        "generated_at": clock.now(),
        "totals": current,
        "previous": previous,
        "change": {key: _change(current[key], previous[key]) for key in TOTALS},
        "months": months,
        "quarters": by_quarter(months),
        "categories": by_category(region, period),
        "industries": _industries(region, period),
        "regions": dash.subregion_breakdown(dash.subregions(region), date_from=period.date_from,
                                            date_to=period.date_to),
        "top_businesses": dash.business_top(region=region, date_from=period.date_from, date_to=period.date_to,
                                            by="total", top=top),
        "top_failing": dash.business_top(region=region, date_from=period.date_from, date_to=period.date_to,
                                         by="failed", top=top),
        "lists": list_changes(region, period),
    }


# --------------------------------------------------------------------------- who, and as data


def report_scope(user: Viewer, *, region_code: str | None = None, year: object = None,
                 date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> tuple[Region | None, ReportPeriod]:
    """The region and period ``user`` asks for: council staff their jurisdiction or a region inside
    it, operators any (None: the whole country); anyone else, or a region outside, ``NotAllowed``
    (checked before the period, so the refused learn nothing about it). A bad year or range:
    ``InvalidInput``."""
    region = oversight_region(user, region_code)
    return region, report_period(year=year, date_from=date_from, date_to=date_to)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Region):
        return {"code": value.code, "name": value.full_name}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, ReportPeriod):
        return {"from": value.date_from.isoformat(), "to": value.date_to.isoformat(), "year": value.year}
    if value is not None and not isinstance(value, bool | int | float | str):
        return str(value)  # a lazy translation
    return value


def report_data(report: dict[str, Any]) -> dict[str, Any]:
    """The report as JSON-ready data (money as strings with two decimals, dates as ISO strings)."""
    return {key: _plain(value) for key, value in report.items()}
