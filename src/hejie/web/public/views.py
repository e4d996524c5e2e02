"""The public face (no sign-in): the business directory and profiles, the black
list and the red list (消费者满意商户), the open figures and the anonymised
open-data download.

Thin faces over the API's selectors (``businesses.selectors``,
``ratings.selectors``, ``ratings.lists``, ``complaints.stats``), plus
``ratings.public`` (what a public page may show of a case, and what is gone)
and ``oversight.open_data`` (trends, breakdowns, the CSV). Something that does
not exist, or was never public, is a 404; a listing that was removed is a 410
with when (and how) it was removed; bad input re-renders the page with the
message beside the field and status 422.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_safe

from hejie.businesses.models import Industry
from hejie.businesses.selectors import (
    business_directory,
    industry_get,
    region_path_codes,
    region_picker,
    stores_of,
)
from hejie.complaints import selectors as complaint_selectors
from hejie.complaints.models import Complaint
from hejie.complaints.stats import complaint_stats_for
from hejie.core.errors import InvalidInput, NotFound
from hejie.core.replica import replica_reads
from hejie.oversight import open_data
from hejie.ratings import lists
from hejie.ratings import public as record
from hejie.ratings.selectors import business_record
from hejie.web.common import charts
from hejie.web.common.i18n import field_messages, is_english, pick

PAGE_SIZE = 20
LIST_PAGE_SIZE = 20
PICKER = ("province", "city", "county")


# --------------------------------------------------------------------------- shaping helpers


def hours_text(hours: float | None) -> str:
    """A duration given in hours, as people read it: 35 分钟, 5.5 小时, 3 天 4 小时."""
    if hours is None:
        return "—"
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return ngettext("%(n)d 分钟", "%(n)d 分钟", minutes) % {"n": minutes}
    if hours < 48:
        return _("%(n)s 小时") % {"n": f"{hours:.1f}".rstrip("0").rstrip(".")}
    days, rest = divmod(round(hours), 24)
    return (ngettext("%(n)d 天", "%(n)d 天", days) % {"n": days}) + " " + (
        ngettext("%(n)d 小时", "%(n)d 小时", rest) % {"n": rest})


def percent(value) -> str:
    return "—" if value is None else f"{float(value):.0%}"


def stars_view(value) -> dict | None:
    """A 0-5 star rating as glyphs (rounded to the nearest whole star) and its value."""
    if value is None:
        return None
    value = float(value)
    whole = max(0, min(5, round(value)))
    return {"glyphs": "★" * whole + "☆" * (5 - whole), "value": f"{value:.1f}"}


def _label(choices, value) -> str:
    return pick(dict(choices).get(value, value)) if value else ""


def _not_found(request, message: str = ""):
    return render(request, "404.html", {"reason": pick(message)}, status=404)


def _gone(request, gone: record.Gone, *, what: str, back_url: str, back_label: str):
    return render(request, "410.html", {
        "what": what, "gone": gone, "message": pick(gone.message), "back_url": back_url, "back_label": back_label,
    }, status=410)


def _picker_state(request) -> dict:
    """The province → city → county selects from the query string (``province``,
    ``city``, ``county``; or ``region`` with one code, for links from tables).
    A code that is not a child of the one before it is dropped with what follows."""
    codes = [request.GET.get(name, "") for name in PICKER]
    if request.GET.get("region") and not any(codes):
        codes = region_path_codes(request.GET["region"][:6])
    picker = region_picker(codes)
    for level, name in zip(picker["levels"], PICKER, strict=False):
        level["name"] = name
    return picker


def _region_query(picker) -> dict:
    return {"region": picker["code"]} if picker["code"] else {}


# --------------------------------------------------------------------------- the directory


@replica_reads
@require_safe
def directory(request):
    q = request.GET.get("q", "")
    industry = request.GET.get("industry", "")
    picker = _picker_state(request)
    errors: dict[str, str] = {}
    page = None
    try:
        qs = business_directory(q=q, industry=industry or None, region_code=picker["code"] or None)
        page = Paginator(qs.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    except InvalidInput as exc:
        errors = field_messages(exc)
    cards = []
    if page is not None:
        ids = [b.pk for b in page.object_list]
        figures, status = record.directory_figures(ids), record.list_status(ids)
        for b in page.object_list:
            f = figures[b.pk]
            cards.append({"b": b, "stars": stars_view(b.star_rating), "credit_index": b.credit_index,
                          "complaints": f["total"], "settlement_rate": percent(f["settlement_rate"]),
                          "list": status.get(b.pk, ""), "industry": _industry_name(b.industry)})
    keep = {k: v for k, v in (("q", q.strip()), ("industry", industry)) if v}
    keep.update(_region_query(picker))
    return render(request, "web/public/directory.html", {
        "q": q, "industry": industry, "industries": Industry.objects.all(), "picker": picker,
        "errors": errors, "page": page, "cards": cards, "keep": urlencode(keep),
        "filtered": bool(keep),
    }, status=422 if errors else 200)


def _industry_name(industry) -> str:
    return industry.name_en if is_english() else industry.name


# --------------------------------------------------------------------------- the profile


def _case_view(case: dict) -> dict:
    return {**case, "problem": _label(Complaint.ProblemType.choices, case["problem_type"]),
            "first_response": hours_text(case["hours_to_first_response"]),
            "settle": hours_text(case["hours_to_settle"])}


@replica_reads
@require_safe
def business(request, business_id: int):
    try:
        biz = record.public_business(business_id)
    except record.Gone as gone:
        return _gone(request, gone, what="business", back_url=reverse("web:directory"),
                     back_label=_("回到商家名录"))
    except NotFound as exc:
        return _not_found(request, exc.message)
    rec = business_record(business=biz)
    b = rec["breakdown"]
    cases = [{**c, "took": hours_text(c["hours_to_settle"])} for c in b["cases_listed"]]
    listings = record.business_listings(biz)
    return render(request, "web/public/business.html", {
        "b": biz, "industry": _industry_name(biz.industry), "stars": stars_view(biz.star_rating),
        "bd": b, "cases": cases, "tiers": list(b["tiers"].items()),
        "settlement_rate": percent(b["settlement_rate"]), "median": hours_text(b["median_hours_to_settle"]),
        "listings": listings, "rule_reason": pick(listings["black"].reason) if listings["black"] else "",
        "per10k": complaint_selectors.complaints_per_10k_orders(biz),
        "stores": [s for s in stores_of(biz) if s.is_active],
        "recent": [_case_view(c) for c in record.recent_complaints(biz)],
        "suspended": biz.status == biz.Status.SUSPENDED,
    })


# --------------------------------------------------------------------------- the lists


def _list_page(request, qs, order):
    return Paginator(qs.order_by(*order), LIST_PAGE_SIZE).get_page(request.GET.get("page"))


@replica_reads
@require_safe
def blacklist(request):
    picker = _picker_state(request)
    page = _list_page(request, lists.blacklist_published(region=picker["region"]), ("-published_at", "-id"))
    entries = [{"e": e, "rule": pick(e.get_rule_display()), "cases": len(e.cases.all())} for e in page.object_list]
    return render(request, "web/public/blacklist.html", {
        "picker": picker, "page": page, "entries": entries, "keep": urlencode(_region_query(picker)),
    })


@replica_reads
@require_safe
def blacklist_entry(request, entry_id: int):
    try:
        entry = record.public_black_entry(entry_id)
    except record.Gone as gone:
        return _gone(request, gone, what="black", back_url=reverse("web:blacklist"), back_label=_("回到黑榜"))
    except NotFound as exc:
        return _not_found(request, exc.message)
    cases = []
    for c in entry.cases.all():
        cases.append({"number": c.number, "created_at": c.created_at, "ended_at": c.scored_at or c.outcome_at,
                      "state": c.state, "took_up": c.first_response_at is not None})
    return render(request, "web/public/blacklist_entry.html", {
        "e": entry, "rule": pick(entry.get_rule_display()), "rule_reason": pick(entry.reason), "cases": cases,
    })


@replica_reads
@require_safe
def redlist(request):
    picker = _picker_state(request)
    page = _list_page(request, lists.redlist_confirmed(region=picker["region"]), ("-decided_at", "-id"))
    entries = [{"e": e, "stars": stars_view(e.business.star_rating)} for e in page.object_list]
    return render(request, "web/public/redlist.html", {
        "picker": picker, "page": page, "entries": entries, "keep": urlencode(_region_query(picker)),
    })


@replica_reads
@require_safe
def redlist_entry(request, entry_id: int):
    try:
        entry = record.public_red_entry(entry_id)
    except record.Gone as gone:
        return _gone(request, gone, what="red", back_url=reverse("web:redlist"), back_label=_("回到红榜"))
    except NotFound as exc:
        return _not_found(request, exc.message)
    return render(request, "web/public/redlist_entry.html", {
        "e": entry, "stars": stars_view(entry.business.star_rating),
    })


# --------------------------------------------------------------------------- open figures and the download


def _open_filters(request, *, max_days):
    """The period, region and industry asked for; ``InvalidInput`` with the reason."""
    picker = _picker_state(request)
    industry_code = request.GET.get("industry", "")
    date_from, date_to = open_data.open_period(request.GET.get("from"), request.GET.get("to"), max_days=max_days)
    industry = industry_get(industry_code) if industry_code else None
    return picker, industry, date_from, date_to


def _fields_doc() -> list[tuple[str, str]]:
    return [(name, en if is_english() else zh) for name, zh, en in open_data.FIELDS]


def _codes_doc() -> list[tuple[str, list[tuple[str, str]]]]:
    """What the codes in the coded columns mean, in the reader's language."""
    return [(column, [(value, pick(label)) for value, label in choices]) for column, choices in (
        ("problem_type", Complaint.ProblemType.choices), ("claim_type", Complaint.ClaimType.choices),
        ("state", Complaint._meta.get_field("state").choices or []),
        ("industry", [(i.code, _industry_name(i)) for i in Industry.objects.all()]))]


def _excluded_doc() -> list[str]:
    return [en if is_english() else zh for zh, en in open_data.EXCLUDED]


@replica_reads
@require_safe
def open_figures(request):
    picker = _picker_state(request)
    errors: dict[str, str] = {}
    context = {"picker": picker, "industries": Industry.objects.all(), "industry": request.GET.get("industry", ""),
               "raw_from": request.GET.get("from", ""), "raw_to": request.GET.get("to", ""),
               "fields_doc": _fields_doc(), "excluded": _excluded_doc(), "codes_doc": _codes_doc(),
               "max_days": open_data.MAX_DAYS}
    try:
        picker, industry, date_from, date_to = _open_filters(request, max_days=None)
        figures = complaint_stats_for(None, region_code=picker["code"] or None,
                                      industry=industry.code if industry else None,
                                      date_from=date_from, date_to=date_to)
    except InvalidInput as exc:
        errors = field_messages(exc)
        return render(request, "web/public/open_data.html", {**context, "errors": errors}, status=422)
    scope = {"region": picker["region"], "industry": industry, "date_from": date_from, "date_to": date_to}
    trend = open_data.trend(**scope)
    regions = _with_bars([{**r, "rate": percent(r["settlement_rate"])} for r in open_data.by_region(**scope)])
    industries = _with_bars([{**r, "rate": percent(r["settlement_rate"]),
                              "label": r["name_en"] if is_english() else r["name"]}
                             for r in open_data.by_industry(**scope)])
    query = {"from": date_from.isoformat(), "to": date_to.isoformat(), **_region_query(picker),
             **({"industry": industry.code} if industry else {})}
    days = (date_to - date_from).days + 1
    return render(request, "web/public/open_data.html", {
        **context, "errors": errors, "date_from": date_from, "date_to": date_to, "industry_obj": industry,
        "f": figures, "settlement_rate": percent(figures["settlement_rate"]),
        "within_24h_share": percent(figures["settled_within_24h_share"]),
        "median": hours_text(figures["median_hours_to_settle"]),
        "by_state": [(pick(label), figures["by_state"].get(value, 0)) for value, label in
                     Complaint._meta.get_field("state").choices],
        "unit": trend["unit"], "trend_chart": _trend_chart(trend),
        "by_region": regions, "by_industry": industries,
        "csv_query": urlencode(query), "csv_allowed": days <= open_data.MAX_DAYS, "days": days,
        "presets": [(n, urlencode({**query, "from": (date_to - _days(n - 1)).isoformat(),
                                   "to": date_to.isoformat()})) for n in (7, 30, 90, 365)],
    })


def _with_bars(rows: list[dict]) -> list[dict]:
    """Each row's total as a share of the largest, for a bar drawn in the table row."""
    peak = max((r["total"] for r in rows), default=0)
    return [{**r, "bar": round(100 * r["total"] / peak) if peak else 0} for r in rows]


def _trend_chart(trend: dict):
    unit = trend["unit"]
    fmt = "%Y-%m" if unit == "month" else "%m-%d"
    title = {"day": _("每天的投诉"), "week": _("每周的投诉"), "month": _("每月的投诉")}[unit]
    points = trend["points"]
    return charts.line_chart(
        [p["period"].strftime(fmt) for p in points],
        [{"name": pgettext("public", "投诉"), "values": [p["total"] for p in points]},
         {"name": _("和解成功"), "values": [p["settled"] for p in points]}],
        title=title, desc=_("按投诉日期统计的投诉数，以及其中已和解成功的数量"))


def _days(n: int):
    import datetime as dt

    return dt.timedelta(days=n)


@replica_reads
@require_safe
def open_data_csv(request):
    try:
        picker, industry, date_from, date_to = _open_filters(request, max_days=open_data.MAX_DAYS)
    except InvalidInput as exc:
        back = {k: v for k, v in request.GET.items() if k in ("from", "to", "region", "industry", *PICKER)}
        return render(request, "web/public/open_data_error.html", {
            "errors": field_messages(exc), "back": urlencode(back), "max_days": open_data.MAX_DAYS,
        }, status=422)
    scope = {"region": picker["region"], "industry": industry, "date_from": date_from, "date_to": date_to}
    response = StreamingHttpResponse(open_data.open_data_csv(**scope), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{open_data.csv_filename(**scope)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response

