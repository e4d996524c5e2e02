"""Partners: joining (apply, the council's approval or refusal, staff),
bulk onboarding of businesses (CSV or xlsx), and the record of the businesses
a partner brought.

Imports and the record: only a partner's own staff: anyone else gets 403; an
import of another partner does not exist for you (404). Partner staff see
counts about their businesses, never a complaint's consumer or its text.
A partner (and its application) is visible to its staff, the council over its
region and operators; to anyone else it does not exist (404).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from hejie.accounts.phones import mask_phone
from hejie.accounts.services import phone_code_send
from hejie.api.v1.auth import optional_bearer
from hejie.api.v1.pagination import _decode, _encode, page_size
from hejie.api.v1.schemas import PathId, PhoneCodeIn, PhoneCodeSent, QueryInt, StrictSchema, Text, errors
from hejie.complaints.selectors import complaints_per_10k_orders, partner_businesses
from hejie.core.errors import TooLarge, invalid
from hejie.core.http import client_ip
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
    stuck: bool = Field(description="committing, but no progress for HEJIE_IMPORT_STALE_MINUTES (default 10): "
                                    "its process died; POST /commit resumes it, POST /reset marks it failed")
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
    size: QueryInt | None = Field(None, ge=1, le=100)


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
    complaints_per_10k_orders: float | None = Field(
        description="as on the public profile: complaints of the last 365 days (or since it joined) per 10,000 "
                    "orders of those days, from the yearly volume reported; null without a usable report")


class PartnerBusinessPage(Schema):
    items: list[PartnerBusiness]
    next_cursor: str | None


class PartnerPageQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(None, max_length=500)
    size: QueryInt | None = Field(None, ge=1, le=100)


class PartnerApplyIn(StrictSchema):
    """As the web form /partners/apply/: every field is checked and the errors come together (422, one per field)."""

    name: Text = Field(max_length=120)
    kind: str = Field(max_length=16, description="platform, chain or association")
    region_code: str = Field(max_length=6, description="6-digit code of the jurisdiction whose council reviews it")
    industries: list[Text] = Field(default_factory=list, max_length=50,
                                   description="an association: the industry codes whose standards it writes (at "
                                               "least one); other kinds: ignored")
    username: Text = Field(max_length=150, description="the partner's first admin: a new staff account with this "
                                                       "username (letters, digits and @/./+/-/_; not taken), made "
                                                       "with the application. The caller's own account, if any, is "
                                                       "not changed; staff sign in with the password "
                                                       "(POST /auth/token)")
    password: Text = Field(max_length=128, description="the new admin's password: at least 8 characters, not a "
                                                       "common one")
    display_name: Text = Field("", max_length=60, description="the new admin's name, as shown to others")
    contact_phone: str = Field(max_length=20, description="the new admin's mainland mobile number, proved by the "
                                                          "code POST /partners/phone-code sends to it; it becomes "
                                                          "the admin's SMS number")
    phone_code: str = Field(max_length=6, description="the 6-digit code sent to contact_phone (valid 5 minutes). "
                                                      "Whether the username is taken is said only once it is "
                                                      "right")


class PartnerApproveIn(StrictSchema):
    onboard_status: str = Field("applied", max_length=16,
                                description="the status its businesses start in: applied (reviewed one by one) "
                                            "or active")


class PartnerReasonIn(StrictSchema):
    reason: Text = Field(max_length=500)


class PartnerStaffIn(StrictSchema):
    username: Text = Field(max_length=150)
    password: str = Field(max_length=128)
    display_name: Text = Field("", max_length=60)
    admin: bool = Field(False, description="may add staff too")


class PartnerOut(Schema):
    id: int
    name: str
    kind: str
    region: PartnerNamed
    status: str = Field(description="applied, active, suspended or refused")
    status_reason: str
    onboard_status: str
    industries: list[PartnerNamed]
    created_at: dt.datetime
    approved_at: dt.datetime | None


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    admin: bool


def _partner(p) -> dict:
    return {
        "id": p.pk, "name": p.name, "kind": p.kind, "region": {"code": p.region.code, "name": p.region.full_name},
        "status": p.status, "status_reason": p.status_reason, "onboard_status": p.onboard_status,
        "industries": [{"code": i.code, "name": i.name} for i in p.industries.all()],
        "created_at": p.created_at, "approved_at": p.approved_at,
    }


def _row(r) -> dict:
    return {"line": r.line, "outcome": r.outcome, "reason": r.reason, "data": r.data, "business_id": r.business_id}


def _import(b) -> dict:
    return {
        **{f: getattr(b, f) for f in ("id", "filename", "status", "total_rows", "accepted", "refused", "already",
                                     "rows_done", "created", "error", "created_at", "committed_at")},
        "progress": round(b.rows_done / b.accepted, 4) if b.accepted else 1.0,
        "stuck": services.import_is_stuck(b),
    }


def _num(value) -> float | None:
    return float(value) if value is not None else None


@router.post("/apply", auth=optional_bearer, response={201: PartnerOut, **errors(401, 403, 409, 422)},
             summary="A partner organisation applies to the council of its region, signed in as a consumer or not "
                     "at all: the application and its first admin, a new staff account (username, password), in "
                     "one go. Staff tokens: 403")
def apply(request, payload: PartnerApplyIn):
    user = request.auth
    partner, admin = services.partner_join(
        applicant=user if user.is_authenticated else None, username=payload.username, password=payload.password,
        name=payload.name, kind=payload.kind, region_code=payload.region_code, industries=payload.industries,
        display_name=payload.display_name, contact_phone=payload.contact_phone, phone_code=payload.phone_code,
        ip=client_ip(request))
    return Status(201, _partner(selectors.partner_get_for(admin, partner.pk)))


@router.post("/phone-code", auth=None, response={202: PhoneCodeSent, **errors(422, 429)},
             summary="Send the code that proves the mobile of a partner application's first admin: 6 digits by "
                     "SMS, valid 5 minutes, for applying only. Anyone may ask; the limits of sign-in codes apply "
                     "(per number one a minute and five an hour, per address twenty an hour): over a limit 429 "
                     "with Retry-After")
def phone_code(request, payload: PhoneCodeIn):
    phone = phone_code_send(phone=payload.phone, ip=client_ip(request), purpose="partner")
    return Status(202, {"detail": _("验证码已发送，5分钟内有效"), "phone_masked": mask_phone(phone)})


@router.get("/{int:partner_id}", response={200: PartnerOut, **errors(401, 404, 422)},
            summary="A partner: its staff, the council over its region and operators")
def partner_detail(request, partner_id: PathId):
    return _partner(selectors.partner_get_for(request.auth, partner_id))


@router.post("/{int:partner_id}/approve", response={200: PartnerOut, **errors(401, 403, 404, 409, 422)},
             summary="Approve an application (council of the partner's region, or operators)")
def approve(request, partner_id: PathId, payload: PartnerApproveIn):
    partner = selectors.partner_get_for(request.auth, partner_id)
    services.partner_approve(actor=request.auth, partner=partner, onboard_status=payload.onboard_status)
    return _partner(selectors.partner_get_for(request.auth, partner_id))


@router.post("/{int:partner_id}/refuse", response={200: PartnerOut, **errors(401, 403, 404, 409, 422)},
             summary="Refuse an application, with a reason its staff are told (council of its region, operators)")
def refuse(request, partner_id: PathId, payload: PartnerReasonIn):
    partner = selectors.partner_get_for(request.auth, partner_id)
    services.partner_refuse(actor=request.auth, partner=partner, reason=payload.reason)
    return _partner(selectors.partner_get_for(request.auth, partner_id))


@router.post("/{int:partner_id}/staff", response={201: StaffOut, **errors(401, 403, 404, 409, 422)},
             summary="Add a staff account (the partner's admin staff, or operators)")
def add_staff(request, partner_id: PathId, payload: PartnerStaffIn):
    partner = selectors.partner_get_for(request.auth, partner_id)
    user = services.partner_staff_add(actor=request.auth, partner=partner, username=payload.username,
                                      password=payload.password, display_name=payload.display_name,
                                      admin=payload.admin)
    return Status(201, {"id": user.pk, "username": user.username, "display_name": user.display_name,
                        "admin": payload.admin})


@router.post("/imports", response={201: ImportPreviewOut, **errors(401, 403, 409, 413, 422)},
             summary="Upload a CSV or xlsx of businesses: every row validated, nothing created yet")
def upload(request, file: File[UploadedFile]):
    partner = selectors.partner_of(request.auth)
    if file.size is not None and file.size > importer.max_bytes():
        raise TooLarge(_("文件超过%(mb)dMB") % {"mb": importer.max_bytes() // (1024 * 1024)})
    data = file.read(importer.max_bytes() + 1)
    batch = services.import_preview(actor=request.auth, partner=partner, filename=file.name or "", data=data)
    rows = list(selectors.import_rows(batch).exclude(outcome=ImportRow.Outcome.ACCEPTED)[:PREVIEW_ROWS])
    if len(rows) < PREVIEW_ROWS:
        rows += list(selectors.import_rows(batch, outcome=ImportRow.Outcome.ACCEPTED)[:PREVIEW_ROWS - len(rows)])
    rows.sort(key=lambda r: r.line)
    return Status(201, {**_import(batch), "rows": [_row(r) for r in rows]})


@router.get("/imports/{batch_id}", response={200: ImportOut, **errors(401, 403, 404, 422)},
            summary="An import: status and progress")
def detail(request, batch_id: PathId):
    selectors.partner_of(request.auth)
    return _import(selectors.import_get_for(request.auth, batch_id))


@router.get("/imports/{batch_id}/rows", response={200: ImportRowPage, **errors(401, 403, 404, 422)},
            summary="An import's rows with their outcome, in file order")
def rows(request, batch_id: PathId, filters: Query[ImportRowQuery]):
    selectors.partner_of(request.auth)
    batch = selectors.import_get_for(request.auth, batch_id)
    if filters.outcome and filters.outcome not in ImportRow.Outcome.values:
        raise invalid("outcome", _("outcome 是 accepted、refused 或 already"))
    size = page_size(filters.size)
    qs = selectors.import_rows(batch, outcome=filters.outcome)
    if filters.cursor:
        line = _decode(filters.cursor)[0]
        if not isinstance(line, int):
            raise invalid("cursor", _("无效的翻页游标"))
        qs = qs.filter(line__gt=line)
    page = list(qs[: size + 1])
    more = len(page) > size
    page = page[:size]
    return {"items": [_row(r) for r in page], "next_cursor": _encode(page[-1].line, 0) if more and page else None}


@router.post("/imports/{batch_id}/commit", response={200: ImportOut, 202: ImportOut, **errors(401, 403, 404, 409, 422)},
             summary="Create the accepted businesses: in the request for small files, in the background for large "
                     "ones (202; poll GET /imports/{id}). Committing again creates nothing twice.")
def commit(request, batch_id: PathId):
    selectors.partner_of(request.auth)
    batch = selectors.import_get_for(request.auth, batch_id)
    batch = services.import_commit(actor=request.auth, batch=batch)
    return Status(202 if batch.status == "committing" else 200, _import(batch))


@router.post("/imports/{batch_id}/reset", response={200: ImportOut, **errors(401, 403, 404, 409, 422)},
             summary="Mark an import stuck in committing (its process died) as failed; rows done stay done, "
                     "and committing again resumes")
def reset(request, batch_id: PathId):
    selectors.partner_of(request.auth)
    batch = selectors.import_get_for(request.auth, batch_id)
    return _import(services.import_reset(actor=request.auth, batch=batch))


@router.get("/businesses", response={200: PartnerBusinessPage, **errors(401, 403, 422)},
            summary="The businesses this partner brought, with their record (no consumer data)")
def businesses(request, filters: Query[PartnerPageQuery]):
    qs = partner_businesses(request.auth)
    size = page_size(filters.size)
    qs = qs.order_by("name", "pk")
    if filters.cursor:
        name, pk = _decode(filters.cursor)
        if not isinstance(name, str) or "\x00" in name:
            raise invalid("cursor", _("无效的翻页游标"))
        qs = qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    page = list(qs[: size + 1])
    more = len(page) > size
    page = page[:size]
    items = []
    for b in page:
        volume = int(b.order_volume) if b.order_volume is not None else None
        rate = complaints_per_10k_orders(b) if volume is not None else None
        items.append({
            "id": b.pk, "name": b.name, "credit_code": b.credit_code,
            "industry": {"code": b.industry.code, "name": b.industry.name},
            "region": {"code": b.region.code, "name": b.region.full_name}, "status": b.status,
            "stars": _num(b.star_rating), "credit_index": _num(b.credit_index),
            "complaints_total": b.complaints_total, "settled": b.settled, "failed": b.failed,
            "settlement_rate": round(b.settled / b.complaints_total, 3) if b.complaints_total else None,
            "overdue": b.overdue, "order_volume": volume,
            "complaints_per_10k_orders": (rate or {}).get("rate"),
        })
    return {"items": items, "next_cursor": _encode(page[-1].name, page[-1].pk) if more and page else None}
