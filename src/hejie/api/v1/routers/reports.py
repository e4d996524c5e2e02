"""The 3·15 report of a council's jurisdiction (``hejie.oversight.report``): as JSON, as an XLSX
workbook, as a printable PDF, and the period's orders as a 12315-compatible CSV
(``docs/12315-export.md``). Council staff (their subtree) and operators; anyone else 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from hejie.api.v1.schemas import errors
from hejie.core.spreadsheets import csv_lines
from hejie.oversight.orders_12315 import rows_12315
from hejie.oversight.report import annual_report, report_data, report_scope
from hejie.oversight.report_files import filename, report_pdf, report_xlsx

router = Router(tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportQuery(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    region: str | None = Field(None, max_length=6, description="6-digit GB/T 2260 code inside your jurisdiction")
    year: str | None = Field(None, max_length=8, description="a calendar year (default: this year, to today)")
    date_from: dt.date | None = Field(None, alias="from", description="first filing date, with `to` instead of year")
    date_to: dt.date | None = Field(None, alias="to", description="last filing date, inclusive")


class ReportOut(Schema):
    region: dict[str, Any] | None = Field(description="the subtree covered; null: the whole country")
    region_name: str
    period: dict[str, Any]
    previous_period: dict[str, Any] = Field(description="the same dates a year earlier")
    generated_at: str
    totals: dict[str, Any] = Field(description="see hejie.oversight.report: money as a string, yuan")
    previous: dict[str, Any]
    change: dict[str, float | None] = Field(description="(this − previous) ÷ previous")
    months: list[dict[str, Any]]
    quarters: list[dict[str, Any]]
    categories: dict[str, Any] = Field(description="China Consumers Association classes and natures of problem")
    industries: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    top_businesses: list[dict[str, Any]]
    top_failing: list[dict[str, Any]]
    lists: dict[str, Any]


def _report(request, q: ReportQuery) -> dict[str, Any]:
    region, period = report_scope(request.auth, region_code=q.region, year=q.year, date_from=q.date_from,
                                  date_to=q.date_to)
    return annual_report(region=region, period=period)


def _file(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _binary(content_type: str, description: str) -> dict:
    return {"responses": {200: {"description": description,
                                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/annual", response={200: ReportOut, **errors(401, 403, 422)},
            summary="The 3·15 report of your jurisdiction for a year or a range of filing dates")
def annual(request, q: Query[ReportQuery]):
    return report_data(_report(request, q))


@router.get("/annual.xlsx", response={**errors(401, 403, 422)}, openapi_extra=_binary(XLSX, "the report as XLSX"),
            summary="The 3·15 report as an XLSX workbook")
def annual_xlsx(request, q: Query[ReportQuery]):
    report = _report(request, q)
    return _file(report_xlsx(report), XLSX, filename(report, "xlsx"))


@router.get("/annual.pdf", response={**errors(401, 403, 422)},
            openapi_extra=_binary("application/pdf", "the report as a printable PDF"),
            summary="The 3·15 report as a printable PDF with charts")
def annual_pdf(request, q: Query[ReportQuery]):
    report = _report(request, q)
    return _file(report_pdf(report), "application/pdf", filename(report, "pdf"))


@router.get("/orders-12315.csv", response={**errors(401, 403, 422)},
            openapi_extra=_binary("text/csv", "the period's orders in the 12315 layout (docs/12315-export.md)"),
            summary="The period's orders as a CSV a 12315 system imports")
def orders_12315(request, q: Query[ReportQuery]):
    region, period = report_scope(request.auth, region_code=q.region, year=q.year, date_from=q.date_from,
                                  date_to=q.date_to)
    response = StreamingHttpResponse(csv_lines(rows_12315(request.auth, region=region, period=period)),
                                     content_type="text/csv; charset=utf-8")
    code = region.code if region is not None else "000000"
    response["Content-Disposition"] = (f'attachment; filename="hejie-12315-{code}-{period.date_from:%Y%m%d}-'
                                       f'{period.date_to:%Y%m%d}.csv"')
    response["Cache-Control"] = "private, no-store"
    return response
