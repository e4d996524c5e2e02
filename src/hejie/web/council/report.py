"""The council's 3·15 report page (``/council/report/``): choose a year or a range of dates (and a
region of the jurisdiction), see the figures, download the XLSX, the PDF and the period's orders
in the 12315 layout. A thin face over ``hejie.oversight.report``; who may enter is
``council_only``; a region outside the jurisdiction is a 404, a bad year or range a 422 page with
the reason beside the field."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hejie.core import clock
from hejie.core.errors import InvalidInput, NotAllowed
from hejie.core.spreadsheets import csv_lines
from hejie.oversight.orders_12315 import rows_12315
from hejie.oversight.report import TOTALS, annual_report, report_scope
from hejie.oversight.report_files import filename, report_pdf, report_xlsx, show, show_change, total_labels
from hejie.web.common import charts
from hejie.web.common.i18n import field_messages, is_english, pick
from hejie.web.council.common import council_only

KEYS = ("region", "year", "from", "to")


def _date(raw: str, name: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("日期格式应为 YYYY-MM-DD，例如 2026-11-01")
        return None


def _scope(request) -> tuple[Any, Any, dict[str, str]]:
    """(region, period, errors) from the query; a region outside the jurisdiction is a 404."""
    data = request.GET
    errors: dict[str, str] = {}
    date_from = _date(data.get("from", "").strip(), "from", errors)
    date_to = _date(data.get("to", "").strip(), "to", errors)
    year = data.get("year", "").strip() or None
    try:
        region, period = report_scope(request.user, region_code=data.get("region") or None,
                                      year=None if (date_from or date_to or errors) else year,
                                      date_from=date_from, date_to=date_to)
    except NotAllowed:
        raise Http404("not in your jurisdiction") from None
    except InvalidInput as exc:
        errors.update(field_messages(exc))
        region, period = None, None
    return region, period, errors


@require_GET
@council_only
def report_page(request):
    region, period, errors = _scope(request)
    if errors:
        return render(request, "web/council/report.html", _context(request, None, errors), status=422)
    report = annual_report(region=region, period=period)
    return render(request, "web/council/report.html", _context(request, report, errors))


def _context(request, report: dict[str, Any] | None, errors: dict[str, str]) -> dict[str, Any]:
    today = clock.local_date()
    query = urlencode({k: v for k, v in request.GET.items() if k in KEYS and v})
    ctx: dict[str, Any] = {"errors": errors, "values": request.GET, "report": report, "query": query,
                           "years": list(range(today.year, today.year - 6, -1))}
    if report is None:
        return ctx
    labels = total_labels()
    ctx["totals"] = [{"key": k, "label": labels[k], "value": show(k, report["totals"][k]),
                      "previous": show(k, report["previous"][k]), "change": show_change(report["change"][k])}
                     for k in TOTALS]
    en = is_english()
    cats = report["categories"]
    ctx["kinds"] = cats["kinds"]
    ctx["classes"] = [{**c, "label": c["name_en"] if en else c["name"], "share_text": show("settlement_rate",
                                                                                           c["share"])}
                      for c in cats["classes"] if c["received"]]
    ctx["natures"] = [{**c, "label": c["name_en"] if en else c["name"], "share_text": show("settlement_rate",
                                                                                           c["share"])}
                      for c in cats["natures"]]
    ctx["industries"] = [{**r, "label": r["name_en"] if en else r["name"],
                          "rate": show("settlement_rate", r["settlement_rate"])} for r in report["industries"]]
    ctx["regions"] = [{**r, "rate": show("settlement_rate", r["settlement_rate"])} for r in report["regions"]]
    ctx["list_rows"] = [{**r, "reason": pick(r["reason"])} for r in report["lists"]["rows"]]
    ctx["month_chart"] = charts.line_chart(
        [m["label"] for m in report["months"]],
        [{"name": _("接收投诉"), "values": [m["received"] for m in report["months"]]},
         {"name": _("和解成功"), "values": [m["settled"] for m in report["months"]]},
         {"name": _("和解失败"), "values": [m["failed"] for m in report["months"]]}],
        title=_("按月"), desc=_("每月提交的投诉数，以及其中已和解和和解失败的件数"))
    ctx["nature_chart"] = charts.bar_chart(
        [{"label": c["label"], "value": c["received"]} for c in ctx["natures"] if c["received"]],
        title=_("按投诉性质"), desc=_("本期各投诉性质的件数")) if any(c["received"] for c in ctx["natures"]) else ""
    base = reverse("web:council-report")
    suffix = "?" + query if query else ""
    ctx["downloads"] = {"xlsx": base + "report.xlsx" + suffix, "pdf": base + "report.pdf" + suffix,
                        "csv": base + "orders-12315.csv" + suffix}
    return ctx


def _file(request, build, ext: str, content_type: str):
    region, period, errors = _scope(request)
    if errors:
        return render(request, "web/council/report.html", _context(request, None, errors), status=422)
    report = annual_report(region=region, period=period)
    response = HttpResponse(build(report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(report, ext)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@council_only
def report_xlsx_view(request):
    return _file(request, report_xlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@require_GET
@council_only
def report_pdf_view(request):
    return _file(request, report_pdf, "pdf", "application/pdf")


@require_GET
@council_only
def orders_12315_view(request):
    region, period, errors = _scope(request)
    if errors:
        return render(request, "web/council/report.html", _context(request, None, errors), status=422)
    response = StreamingHttpResponse(csv_lines(rows_12315(request.user, region=region, period=period)),
                                     content_type="text/csv; charset=utf-8")
    code = region.code if region is not None else "000000"
    response["Content-Disposition"] = (f'attachment; filename="hejie-12315-{code}-{period.date_from:%Y%m%d}-'
                                       f'{period.date_to:%Y%m%d}.csv"')
    response["Cache-Control"] = "private, no-store"
    return response
