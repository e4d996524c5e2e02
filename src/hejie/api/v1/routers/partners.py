"""Partners: bulk onboarding of businesses (CSV or xlsx), and the record of
the businesses a partner brought.

Only a partner's own staff: anyone else gets 403 on every operation; an
import of another partner does not exist for you (404). Partner staff see
counts about their businesses, never a complaint's consumer or its text.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from hejie.api.v1.pagination import _decode, _encode, page_size
from hejie.api.v1.schemas import errors
from hejie.core.errors import invalid
from hejie.partners import importer, selectors, services
from hejie.partners.models import ImportRow

router = Router(tags=["partners"])

PREVIEW_ROWS = 50


class ImportRowOut(Schema):
    line: int
    outcome: str = Field(description="accepted, refused or already (on the platform)")
    reason: str
    data: dict
    business_id: int | None


class ImportOut(Schema):
    id: int
    filename: str
    status: str = Field(description="previewed, committing, committed or failed")
    total_rows: int
    accepted: int
    refused: int
    already: int
    rows_done: int = Field(description="accepted rows the commit has processed")
    progress: float = Field(description="rows_done ÷ accepted (1.0 when there is nothing to do)")
    created: int
    error: str
    created_at: dt.datetime
    committed_at: dt.datetime | None


class ImportPreviewOut(ImportOut):
    rows: list[ImportRowOut] = Field(description=f"the first {PREVIEW_ROWS} rows that are not accepted, then accepted "
                                           "ones; page through all with GET /imports/{id}/rows")


class ImportRowPage(Schema):
    items: list[ImportRowOut]
    next_cursor: str | None


class ImportRowQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    outcome: str | None = Field(None, max_length=16, description="accepted, refused or already")
    cursor: str | None = Field(None, max_length=200)
    size: int | None = Field(None, ge=1, le=100)


class PartnerNamed(Schema):
    code: str
    name: str


class PartnerBusiness(Schema):
    id: int
    name: str
    credit_code: str
    industry: PartnerNamed
    region: PartnerNamed
    status: str
    stars: float | None
    credit_index: float | None
    complaints_total: int
    settled: int
    failed: int
    settlement_rate: float | None
    overdue: int = Field(description="orders now past their first-response or settle-by deadline")
    order_volume: int | None = Field(description="as the partner reported it")
    complaints_per_10k_orders: float | None


class PartnerBusinessPage(Schema):
    items: list[PartnerBusiness]
    next_cursor: str | None


class PartnerPageQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(None, max_length=500)
    size: int | None = Field(None, ge=1, le=100)


def _row(r) -> dict:
    return {"line": r.line, "outcome": r.outcome, "reason": r.reason, "data": r.data, "business_id": r.business_id}


def _import(b) -> dict:
    return {
        **{f: getattr(b, f) for f in ("id", "filename", "status", "total_rows", "accepted", "refused", "already",
                                     "rows_done", "created", "error", "created_at", "committed_at")},
        "progress": round(b.rows_done / b.accepted, 4) if b.accepted else 1.0,
    }


def _num(value) -> float | None:
    return float(value) if value is not None else None


@router.post("/imports", response={201: ImportPreviewOut, **errors(401, 403, 409, 413, 422)},
             summary="Upload a CSV or xlsx of businesses: every row validated, nothing created yet")
def upload(request, file: File[UploadedFile]):
    partner = selectors.partner_of(request.auth)
    if file.size is not None and file.size > importer.max_bytes():
        from hejie.core.errors import TooLarge

        raise TooLarge(f"文件超过{importer.max_bytes() // (1024 * 1024)}MB (the file is too large)")
    data = file.read(importer.max_bytes() + 1)
    batch = services.import_preview(actor=request.auth, partner=partner, filename=file.name or "", data=data)
    rows = list(selectors.import_rows(batch).exclude(outcome=ImportRow.Outcome.ACCEPTED)[:PREVIEW_ROWS])
    if len(rows) < PREVIEW_ROWS:
        rows += list(selectors.import_rows(batch, outcome=ImportRow.Outcome.ACCEPTED)[:PREVIEW_ROWS - len(rows)])
    rows.sort(key=lambda r: r.line)
    return Status(201, {**_import(batch), "rows": [_row(r) for r in rows]})


@router.get("/imports/{batch_id}", response={200: ImportOut, **errors(401, 403, 404, 422)},
            summary="An import: status and progress")
def detail(request, batch_id: int):
    selectors.partner_of(request.auth)
    return _import(selectors.import_get_for(request.auth, batch_id))


@router.get("/imports/{batch_id}/rows", response={200: ImportRowPage, **errors(401, 403, 404, 422)},
            summary="An import's rows with their outcome, in file order")
def rows(request, batch_id: int, filters: Query[ImportRowQuery]):
    selectors.partner_of(request.auth)
    batch = selectors.import_get_for(request.auth, batch_id)
    if filters.outcome and filters.outcome not in ImportRow.Outcome.values:
        raise invalid("outcome", "outcome 是 accepted、refused 或 already (outcome is accepted, refused or already)")
    size = page_size(filters.size)
    qs = selectors.import_rows(batch, outcome=filters.outcome)
    if filters.cursor:
        line, _ = _decode(filters.cursor)
        if not isinstance(line, int):
            raise invalid("cursor", "无效的翻页游标 (invalid cursor)")
        qs = qs.filter(line__gt=line)
    page = list(qs[: size + 1])
    more = len(page) > size
    page = page[:size]
    return {"items": [_row(r) for r in page], "next_cursor": _encode(page[-1].line, 0) if more and page else None}


@router.post("/imports/{batch_id}/commit", response={200: ImportOut, 202: ImportOut, **errors(401, 403, 404, 409, 422)},
             summary="Create the accepted businesses: in the request for small files, in the background for large "
                     "ones (202; poll GET /imports/{id}). Committing again creates nothing twice.")
def commit(request, batch_id: int):
    selectors.partner_of(request.auth)
    batch = selectors.import_get_for(request.auth, batch_id)
    batch = services.import_commit(actor=request.auth, batch=batch)
    return Status(202 if batch.status == "committing" else 200, _import(batch))


@router.get("/businesses", response={200: PartnerBusinessPage, **errors(401, 403, 422)},
            summary="The businesses this partner brought, with their record (no consumer data)")
def businesses(request, filters: Query[PartnerPageQuery]):
    qs = selectors.partner_businesses(request.auth)
    size = page_size(filters.size)
    qs = qs.order_by("name", "pk")
    if filters.cursor:
        name, pk = _decode(filters.cursor)
        if not isinstance(name, str) or "\x00" in name:
            raise invalid("cursor", "无效的翻页游标 (invalid cursor)")
        qs = qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    page = list(qs[: size + 1])
    more = len(page) > size
    page = page[:size]
    items = []
    for b in page:
        volume = int(b.order_volume) if b.order_volume is not None else None
        items.append({
            "id": b.pk, "name": b.name, "credit_code": b.credit_code,
            "industry": {"code": b.industry.code, "name": b.industry.name},
            "region": {"code": b.region.code, "name": b.region.full_name}, "status": b.status,
            "stars": _num(b.star_rating), "credit_index": _num(b.credit_index),
            "complaints_total": b.complaints_total, "settled": b.settled, "failed": b.failed,
            "settlement_rate": round(b.settled / b.complaints_total, 3) if b.complaints_total else None,
            "overdue": b.overdue, "order_volume": volume,
            "complaints_per_10k_orders": round(b.complaints_total * 10000 / volume, 2) if volume else None,
        })
    return {"items": items, "next_cursor": _encode(page[-1].name, page[-1].pk) if more and page else None}
