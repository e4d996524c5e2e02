"""Pages of the "council" area (see web/council/urls.py): the console of council (消委)
staff — the dashboard, the order list with its queues, bulk urging and the
exports. The order page is in ``council.orders``, the lists in
``council.lists``, the businesses in ``council.businesses``; who may enter
is ``council.common.council_only``.

Thin faces over ``hejie.oversight`` (dashboard, orders, exports, services)
and the domain services. Who may enter: council staff (their region's
subtree) and operators; anyone else signed in gets a 404 for every console
page, a visitor is sent to the staff sign-in. A region, order or entry
outside the jurisdiction is a 404.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hejie.businesses.models import Industry
from hejie.businesses.selectors import oversight_region
from hejie.complaints.selectors import masked_row_for
from hejie.complaints.states import RECONCILING, State
from hejie.core import clock
from hejie.core.errors import InvalidInput, NotAllowed
from hejie.core.replica import replica_reads
from hejie.core.spreadsheets import XlsxWriter, csv_lines
from hejie.oversight import dashboard as dash
from hejie.oversight.exports import export_rows
from hejie.oversight.orders import OVERDUE, QUEUES, OrderFilters, council_orders, parse_filters, queue_counts
from hejie.oversight.services import urge_many
from hejie.oversight.surge_orders import surge_orders
from hejie.regions.models import Region
from hejie.web.common import charts
from hejie.web.common.i18n import field_messages, is_english, pick
from hejie.web.council.clocks import dashboard_clocks
from hejie.web.council.common import council_only

PAGE_SIZE = 50
LIST_CAP = 10_000  # the order list counts and pages through at most this many (the newest); filters narrow it


class CappedPaginator(Paginator):
    """Pages through the first ``cap`` rows, counting no further than ``cap + 1``: a province's list
    then costs the same as a district's (its count used to read every order of the jurisdiction).
    ``capped`` says there are more than ``cap``."""

    object_list: QuerySet[Any]  # a queryset: it is counted up to the cap

    def __init__(self, object_list, per_page, *, cap: int):
        self.cap = cap
        super().__init__(object_list, per_page)

    @cached_property
    def _seen(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._seen, self.cap)

    @property
    def capped(self) -> bool:
        return self._seen > self.cap
SURGE_ORDERS = 5  # the orders listed under each surge flag on the dashboard


def _date_or_error(raw: str, name: str, errors: dict) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("日期格式应为 YYYY-MM-DD，例如 2026-11-01")
        return None


def _pct(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _hours(h) -> str:
    return "—" if h is None else _("%(h)s 小时") % {"h": f"{h:.1f}"}


# --------------------------------------------------------------------------- the dashboard


def _region_options(jurisdiction, region) -> list[dict]:
    """The picker: the jurisdiction, the way down to the region chosen, and its children."""
    chain = []
    if region is not None:
        node = region
        while node is not None:
            chain.append(node)
            if jurisdiction is not None and node.code == jurisdiction.code:
                break
            node = node.parent
        chain.reverse()
    children = list(Region.objects.filter(parent_id=region.code).order_by("code")) if region is not None else list(
        Region.objects.filter(level=1).order_by("code"))
    options = [{"code": r.code, "name": r.full_name, "depth": i} for i, r in enumerate(chain)]
    options += [{"code": r.code, "name": r.full_name, "depth": len(chain)} for r in children]
    if jurisdiction is None:
        options.insert(0, {"code": "", "name": _("全国"), "depth": 0})
    for o in options:
        o["indent"] = "  " * o["depth"]
    return options


@replica_reads
@require_GET
@council_only
def dashboard_view(request):
    user = request.user
    data = request.GET
    errors: dict[str, str] = {}
    jurisdiction = oversight_region(user, None)
    try:
        region = oversight_region(user, data.get("region") or None)
    except NotAllowed:
        raise Http404("not in your jurisdiction") from None
    except InvalidInput as exc:
        errors.update(field_messages(exc))
        region = jurisdiction
    date_from = _date_or_error(data.get("from", "").strip(), "from", errors)
    date_to = _date_or_error(data.get("to", "").strip(), "to", errors)
    grain = data.get("grain") or None
    if grain is not None and grain not in dash.GRAINS:
        errors["grain"] = _("请选择按日、按周或按月")
        grain = None
    period = None
    if "from" not in errors and "to" not in errors:
        try:
            period = dash.period_of(days=data.get("days") if not (date_from or date_to) else None,
                                    date_from=date_from, date_to=date_to)
        except InvalidInput as exc:
            errors.update(field_messages(exc))
    if period is None:
        period = dash.period_of()
    board = dash.dashboard(region=region, period=period, grain=grain)
    behind = surge_orders(board["surges"]["business"] + board["surges"]["industry"], region=board["region"],
                          user=user, per_surge=SURGE_ORDERS, now=board["now"])
    context = _dashboard_context(request, board, jurisdiction, errors, data, behind)
    return render(request, "web/council/dashboard.html", context, status=422 if errors else 200)


def _dashboard_context(request, board: dict, jurisdiction, errors: dict, data, behind: dict) -> dict:
    """``behind``: the orders behind each surge flag (``oversight.surge_orders``)."""
    region, period, f = board["region"], board["period"], board["figures"]
    orders_url = reverse("web:council-orders")
    base = {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()}
    if region is not None and (jurisdiction is None or region.code != jurisdiction.code):
        base["region"] = region.code

    def link(scope: str = "period", **kw) -> str:
        params = dict(base) if scope == "period" else {k: v for k, v in base.items() if k == "region"}
        params.update({k: v for k, v in kw.items() if v not in (None, "")})
        return f"{orders_url}?{urlencode(params)}"

    overdue = f["overdue"] or {}
    cards = [
        {"label": _("投诉总数"), "value": f["total"], "href": link()},
        {"label": _("进行中"), "value": f["open"], "href": link(figure="open")},
        {"label": _("和解成功"), "value": f["settled"], "href": link(figure="settled")},
        {"label": _("和解率"), "value": _pct(f["settlement_rate"]), "href": link(figure="settled"),
         "hint": _("和解成功 ÷ 投诉总数")},
        {"label": _("和解用时中位数"), "value": _hours(f["median_hours_to_settle"]), "href": link(figure="settled")},
        {"label": _("和解用时 90 分位"), "value": _hours(f["p90_hours_to_settle"]), "href": link(figure="settled"),
         "hint": _("九成的和解在此时间内达成")},
        {"label": _("24 小时内和解占比"), "value": _pct(f["settled_within_24h_share"]),
         "href": link(figure="within_24h"),
         "hint": _("%(n)s 件 ÷ 和解成功") % {"n": f["settled_within_24h"]}},
        {"label": _("和解失败"), "value": f["failed"], "href": link(figure="failed"), "bad": bool(f["failed"])},
    ]
    overdue_cards = [
        {"label": _("超 24 小时未首次答复"), "value": overdue.get("awaiting_first_response", 0),
         "href": link("now", overdue="awaiting_first_response"), "bad": bool(overdue.get("awaiting_first_response"))},
        {"label": _("48 小时内到 14 天期限"), "value": overdue.get("near_settle_by", 0),
         "href": link("now", overdue="near_settle_by")},
        {"label": _("已过 14 天期限未结束"), "value": overdue.get("past_settle_by", 0),
         "href": link("now", overdue="past_settle_by"), "bad": bool(overdue.get("past_settle_by"))},
    ]
    states = [{"state": s, "label": pick(label), "value": f["by_state"].get(s, 0), "href": link(state=s)}
              for s, label in State.choices]
    subregions = [{**row, "rate": _pct(row["settlement_rate"]), "href": link(region=row["region"].code),
                   "drill": "?" + urlencode({**{k: v for k, v in data.items() if k in ("days", "from", "to", "grain")},
                                             "region": row["region"].code}),
                   "failed_href": link(region=row["region"].code, figure="failed"),
                   "settled_href": link(region=row["region"].code, figure="settled")}
                  for row in board["subregions"]]
    industries = [{**row, "label": row["name_en"] if _is_en() else row["name"], "rate": _pct(row["settlement_rate"]),
                   "href": link(industry=row["code"]), "failed_href": link(industry=row["code"], figure="failed")}
                  for row in board["industries"]]
    businesses = [{**row, "rate": _pct(row["settlement_rate"]), "href": link(business=row["id"]),
                   "failed_href": link(business=row["id"], figure="failed"),
                   "record": reverse("web:council-business", args=[row["id"]])}
                  for row in board["businesses"]]
    failing = [{**row, "rate": _pct(row["settlement_rate"]), "href": link(business=row["id"], figure="failed")}
               for row in board["failing"]]
    trend_rows = [{**t, "label": _bucket_label(t["start"], board["grain"]),
                   "href": link(**{"from": t["from"].isoformat(), "to": t["to"].isoformat()}),
                   "settled_href": link(**{"from": t["from"].isoformat(), "to": t["to"].isoformat(),
                                           "figure": "settled"}),
                   "failed_href": link(**{"from": t["from"].isoformat(), "to": t["to"].isoformat(),
                                          "figure": "failed"})}
                  for t in board["trends"]]
    surge_rows = []
    for level, found in board["surges"].items():
        for s in found:
            orders, total = behind.get((level, s.key), ([], 0))
            surge_rows.append({"level": level, "name": pick(s.name), "recent": s.verdict.recent,
                               "expected": f"{s.verdict.expected:.1f}", "p": f"{s.verdict.p_value:.1e}",
                               "href": link("now", surge=f"{level}:{s.key}"),
                               "since": s.since, "orders": orders, "total": total})
    region_name = region.full_name if region is not None else _("全国")
    trend_chart = charts.line_chart(
        [r["label"] for r in trend_rows],
        [{"name": _("新投诉"), "values": [r["filed"] for r in trend_rows]},
         {"name": _("其中已和解"), "values": [r["settled"] for r in trend_rows]},
         {"name": _("其中和解失败"), "values": [r["failed"] for r in trend_rows]}],
        title=_("%(region)s 投诉趋势") % {"region": region_name},
        desc=_("每个时段提交的投诉数，以及其中已和解和和解失败的件数"),
        hrefs=[r["href"] for r in trend_rows])
    state_chart = charts.bar_chart([{"label": s["label"], "value": s["value"], "href": s["href"]} for s in states
                                    if s["value"]], title=_("按状态"), desc=_("本期投诉按当前状态的件数"))
    sub_chart = charts.bar_chart([{"label": r["region"].name, "value": r["total"], "href": r["href"]}
                                  for r in subregions if r["total"]],
                                 title=_("按下级地区"), desc=_("本期各下级地区的投诉件数")) if any(
        r["total"] for r in subregions) else ""
    industry_chart = charts.bar_chart([{"label": r["label"], "value": r["total"], "href": r["href"]}
                                       for r in industries], title=_("按行业"),
                                      desc=_("本期各行业的投诉件数")) if industries else ""
    grains = [(g, label, "?" + urlencode({**{k: v for k, v in data.items() if k in ("days", "from", "to", "region")},
                                          "grain": g}))
              for g, label in (("day", _("按日")), ("week", _("按周")), ("month", _("按月")))]
    return {
        "board": board, "region": region, "region_name": region_name, "jurisdiction": jurisdiction,
        "period": period, "errors": errors, "values": data,
        "region_options": _region_options(jurisdiction, region), "presets": dash.PRESET_DAYS,
        "cards": cards, "overdue_cards": overdue_cards, "states": states, "subregions": subregions,
        "industries": industries, "businesses": businesses, "failing": failing, "trends": trend_rows,
        "surges": surge_rows, "grains": grains, "grain": board["grain"],
        "trend_chart": trend_chart, "state_chart": state_chart, "sub_chart": sub_chart,
        "industry_chart": industry_chart, "queues": queue_counts(request.user),
        **dashboard_clocks(request.user, region),
        "as_of": board["now"],
    }


def _is_en() -> bool:
    return is_english()


def _bucket_label(first: dt.date, grain: str) -> str:
    if grain == "month":
        return first.strftime("%Y-%m")
    return first.strftime("%m-%d")


# --------------------------------------------------------------------------- the order list


QUEUE_LABELS = {"review": "待审核", "urge": "超期待催办", "mediation": "调解中", "failed": "和解失败"}
OVERDUE_LABELS = {"awaiting_first_response": "超 24 小时未首次答复", "near_settle_by": "48 小时内到 14 天期限",
                  "past_settle_by": "已过 14 天期限未结束"}
FIGURE_LABELS = {"settled": "和解成功", "failed": "和解失败", "within_24h": "24 小时内和解", "open": "进行中"}


def _filters_or_error(request) -> tuple[OrderFilters | None, dict]:
    try:
        return parse_filters(request.user, request.GET), {}
    except NotAllowed:
        raise Http404("not in your jurisdiction") from None
    except InvalidInput as exc:
        return None, field_messages(exc)


@require_GET
@council_only
def order_list(request):
    user = request.user
    filters, errors = _filters_or_error(request)
    status = 200
    if filters is None:
        status = 422
        page = None
        keep = ""
        filters_shown = OrderFilters(values={k: v for k, v in request.GET.items()},
                                     jurisdiction=oversight_region(user, None))
    else:
        page = CappedPaginator(council_orders(user, filters), PAGE_SIZE, cap=LIST_CAP).get_page(
            request.GET.get("page"))
        for row in page:  # the business name a consumer typed is free text
            masked_row_for(user, row)
        keep = filters.query()
        filters_shown = filters
    v = filters_shown.values
    queue_tabs = [("", _("全部"), "?" + filters_shown.query(queue=None))] + [
        (q, _(QUEUE_LABELS[q]), "?" + filters_shown.query(queue=q)) for q in QUEUES]
    chips = _chips(filters_shown) if filters is not None else []
    context = {
        "page": page, "filters": filters_shown, "v": v, "errors": errors, "keep": keep,
        "queue_tabs": queue_tabs, "queue": v.get("queue", ""), "queues": queue_counts(user),
        "states": [(s, pick(label)) for s, label in State.choices],
        "industries": Industry.objects.all(), "overdue_kinds": [(k, _(OVERDUE_LABELS[k])) for k in OVERDUE],
        "region_options": _region_options(filters_shown.jurisdiction, filters_shown.region
                                          or filters_shown.jurisdiction),
        "chips": chips, "reconciling": RECONCILING, "now": clock.now(),
        "export_csv": reverse("web:council-export-csv") + ("?" + keep if keep else ""),
        "export_xlsx": reverse("web:council-export-xlsx") + ("?" + keep if keep else ""),
        "next": request.get_full_path(), "list_cap": f"{LIST_CAP:,}",
    }
    return render(request, "web/council/orders.html", context, status=status)


def _chips(f: OrderFilters) -> list[tuple[str, str]]:
    """The filters in force, each with a link that drops it."""
    v = f.values
    out = []
    labels: dict[str, Callable[[str], str]] = {
        "q": lambda x: _("编号：%(q)s") % {"q": x},
        "queue": lambda x: _(QUEUE_LABELS.get(x, x)),
        "state": lambda x: pick(State(x).label),
        "figure": lambda x: _(FIGURE_LABELS.get(x, x)),
        "region": lambda x: f.region.full_name if f.region is not None else x,
        "industry": lambda x: (f.industry.name_en if _is_en() else f.industry.name) if f.industry else x,
        "business": lambda x: f.business.name if f.business else x,
        "from": lambda x: _("自 %(d)s") % {"d": x},
        "to": lambda x: _("至 %(d)s") % {"d": x},
        "overdue": lambda x: _(OVERDUE_LABELS.get(x, x)),
        "urged": lambda x: _("有待确认的催办"),
        "surge": lambda x: _("激增：%(k)s") % {"k": x},
    }
    for key, value in v.items():
        if key in labels:
            out.append((labels[key](value), "?" + f.query(**{key: None})))
    return out


def _safe_next(raw: str) -> str:
    base = reverse("web:council-orders")
    return raw if raw and raw.startswith(base) and "//" not in raw and "\\" not in raw else base


@require_POST
@council_only
def urge_bulk(request):
    """Urge the orders ticked on the list, each through ``complaint_urge``; say
    how many were urged and which were refused, and why."""
    back = _safe_next(request.POST.get("next", ""))
    try:
        result = urge_many(actor=request.user, complaint_ids=request.POST.getlist("ids"),
                           note=request.POST.get("note", ""))
    except InvalidInput as exc:
        for message in field_messages(exc).values():
            messages.error(request, message)
        return redirect(back)
    if result.urged:
        messages.success(request, _("已催办 %(n)s 件：%(list)s") % {"n": len(result.urged),
                                                                 "list": "、".join(result.urged)})
    for number, reason in result.refused:
        messages.error(request, _("%(number)s 未催办：%(reason)s") % {"number": number, "reason": pick(reason)})
    return redirect(back)


# --------------------------------------------------------------------------- exports


def _export_filters(request) -> OrderFilters | None:
    filters, _errors = _filters_or_error(request)
    return filters


def _export_name(ext: str) -> str:
    return f"hejie-orders-{clock.now().astimezone(clock.SHANGHAI):%Y%m%d-%H%M}.{ext}"


@require_GET
@council_only
def export_csv(request):
    """The list's current view as CSV (UTF-8 with a BOM, for Excel), streamed
    row by row as the database yields them."""
    filters = _export_filters(request)
    if filters is None:  # the list itself, with the errors beside the filters (422)
        return order_list(request)
    response = StreamingHttpResponse(csv_lines(export_rows(request.user, filters, fmt="csv")),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@council_only
def export_xlsx(request):
    """The list's current view as an Excel workbook, written row by row by
    openpyxl's write-only mode into a temporary file (deleted when closed),
    then streamed from that file with its length, so the browser shows progress."""
    filters = _export_filters(request)
    if filters is None:
        return order_list(request)
    workbook = XlsxWriter(_("工单"))
    for row in export_rows(request.user, filters, fmt="xlsx"):
        workbook.append(row)
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes (and so deletes) it
    workbook.save(tmp)
    size = tmp.tell()
    tmp.seek(0)
    response = FileResponse(tmp, as_attachment=True, filename=_export_name("xlsx"),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Length"] = str(size)
    response["Cache-Control"] = "private, no-store"
    return response

