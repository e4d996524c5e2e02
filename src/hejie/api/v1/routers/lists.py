"""The black list (黑榜) and the red list (消费者满意商户): public, with reasons
and dates; the cases are order numbers with dates and outcomes, never anything
about the consumer. Council staff also see candidates and decide (the rules
and who may decide: ``hejie.ratings.lists``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, StrictBool

from hejie.api.v1.auth import optional_bearer
from hejie.api.v1.pagination import keyset_page
from hejie.api.v1.schemas import PathId, QueryInt, StrictSchema, errors, file_download
from hejie.businesses.selectors import oversight_region
from hejie.complaints.evidence import max_bytes
from hejie.core import clock
from hejie.core.http import stored_file_response
from hejie.ratings import lists
from hejie.ratings.public import public_black_entry, public_red_entry
from hejie.regions.selectors import region_get

router = Router(tags=["lists"])


# ------------------------------------------------------------------- schemas


class Named(Schema):
    code: str
    name: str


class ListedBusiness(Schema):
    id: int
    name: str
    region: Named


class CaseOut(Schema):
    number: str = Field(description="the order number")
    filed_on: dt.date = Field(description="filing date, Asia/Shanghai")
    ended_on: dt.date | None = Field(description="the date the case was scored (settled or failed)")
    outcome: str = Field(description="the order's state now, e.g. failed, mediated")
    took_up: bool = Field(description="whether the business ever answered the complaint")


class BlackEntryOut(Schema):
    id: int
    business: ListedBusiness
    status: str = Field(description="candidate, published, dismissed or removed")
    rule: str = Field(description="failed_cases or never_took_up")
    rule_reason: str = Field(description="what the rule found")
    reason: str = Field(description="the council's reason, published with the entry")
    created_at: dt.datetime
    published_at: dt.datetime | None
    cases: list[CaseOut]


class BlackPage(Schema):
    items: list[BlackEntryOut]
    next_cursor: str | None


class RedEntryOut(Schema):
    id: int
    business: ListedBusiness
    status: str = Field(description="candidate, confirmed or removed")
    reason: str
    confirmed_at: dt.datetime | None
    credit_index: float | None
    stars: float | None


class RedPage(Schema):
    items: list[RedEntryOut]
    next_cursor: str | None


class RedCandidateOut(Schema):
    business: ListedBusiness
    credit_index: float
    stars: float | None
    cases: int = Field(description="cases scored in the rating window")
    settled: int
    settlement_rate: float = Field(description="settled ÷ cases scored in the window")


class RedCandidates(Schema):
    items: list[RedCandidateOut]


class ListQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(None, max_length=6, description="6-digit region code; its whole subtree")
    cursor: str | None = Field(None, max_length=500)
    size: QueryInt | None = Field(None, ge=1, le=100, description="page size, 1-100 (default 20)")


class CandidateQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(None, max_length=6, description="a region inside your jurisdiction (default: all of it)")
    cursor: str | None = Field(None, max_length=500)
    size: QueryInt | None = Field(None, ge=1, le=100)


class ReasonIn(StrictSchema):
    reason: str = Field(max_length=1000)


class ConfirmIn(StrictSchema):
    business_id: int = Field(ge=1, le=2**63 - 1)
    reason: str = Field(max_length=1000)


class AppealFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str = Field(description="download (the business's staff and its council only)")


class AppealOut(Schema):
    id: int
    entry_id: int
    status: str = Field(description="pending, upheld (the entry was removed) or rejected (the entry stays)")
    text: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str
    files: list[AppealFileOut]


class AppealList(Schema):
    items: list[AppealOut]


class DecideIn(StrictSchema):
    upheld: StrictBool = Field(description="true: the appeal stands and the entry leaves the black list")
    reason: str = Field(max_length=1000)


# ------------------------------------------------------------------- shaping


def _appeal(a) -> dict:
    return {
        "id": a.pk, "entry_id": a.entry_id, "status": a.status, "text": a.text, "created_at": a.created_at,
        "decided_at": a.decided_at, "decision_reason": a.decision_reason,
        "files": [{"id": f.pk, "name": f.original_name, "content_type": f.content_type, "size": f.size,
                   "url": f"/api/v1/lists/appeals/{a.pk}/files/{f.pk}"} for f in a.files.all()],
    }


def _business(b) -> dict:
    return {"id": b.pk, "name": b.name, "region": {"code": b.region.code, "name": b.region.full_name}}


def _case(c) -> dict:
    return {
        "number": c.number, "filed_on": clock.local_date(c.created_at),
        "ended_on": clock.local_date(c.scored_at) if c.scored_at else None,
        "outcome": c.state, "took_up": c.first_response_at is not None,
    }


def _black(entry) -> dict:
    return {
        "id": entry.pk, "business": _business(entry.business), "status": entry.status, "rule": entry.rule,
        "rule_reason": entry.reason, "reason": entry.public_reason, "created_at": entry.created_at,
        "published_at": entry.published_at, "cases": [_case(c) for c in entry.cases.all()],
    }


def _red(entry) -> dict:
    b = entry.business
    return {
        "id": entry.pk, "business": _business(b), "status": entry.status, "reason": entry.reason,
        "confirmed_at": entry.decided_at if entry.status != "candidate" else None,
        "credit_index": float(b.credit_index) if b.credit_index is not None else None,
        "stars": float(b.star_rating) if b.star_rating is not None else None,
    }


def _public_region(code: str | None):
    return region_get(code, field="region") if code else None


# ------------------------------------------------------------------- the black list


@router.get("/black", auth=optional_bearer, response={200: BlackPage, **errors(401, 422)},
            summary="The black list (黑榜): published entries, newest first, with reasons and cases (public)")
def black_list(request, filters: Query[ListQuery]):
    qs = lists.blacklist_published(region=_public_region(filters.region))
    rows, next_cursor = keyset_page(qs, field="published_at", cursor=filters.cursor, size=filters.size)
    return {"items": [_black(e) for e in rows], "next_cursor": next_cursor}


@router.get("/black/candidates", response={200: BlackPage, **errors(401, 403, 422)},
            summary="Black-list candidates in your jurisdiction, awaiting a decision (council)")
def black_candidates(request, filters: Query[CandidateQuery]):
    region = oversight_region(request.auth, filters.region)
    rows, next_cursor = keyset_page(lists.blacklist_candidates(region=region), field="created_at",
                                    cursor=filters.cursor, size=filters.size)
    return {"items": [_black(e) for e in rows], "next_cursor": next_cursor}


@router.get("/black/{entry_id}", auth=optional_bearer, response={200: BlackEntryOut, **errors(401, 404, 410, 422)},
            summary="A published black-list entry (public); 410 once removed, with when and how; 404 for a "
                    "candidate never published",
            description="The same rule as the public page /blacklist/{id}/ (``ratings.public.public_black_entry``).")
def black_entry(request, entry_id: PathId):
    return _black(public_black_entry(entry_id))


DECISION_ERRORS = errors(400, 401, 403, 404, 409, 422)


def _black_decided(entry) -> dict:
    return _black(lists.blacklist_entries().get(pk=entry.pk))


@router.post("/black/{entry_id}/publish", response={200: BlackEntryOut, **DECISION_ERRORS},
             summary="Publish a candidate on the black list, with a reason (council of the business's region)")
def black_publish(request, entry_id: PathId, payload: ReasonIn):
    return _black_decided(lists.blacklist_publish(actor=request.auth, entry=entry_id, reason=payload.reason))


@router.post("/black/{entry_id}/dismiss", response={200: BlackEntryOut, **DECISION_ERRORS},
             summary="Decide not to publish a candidate, with a reason (council of the business's region)")
def black_dismiss(request, entry_id: PathId, payload: ReasonIn):
    return _black_decided(lists.blacklist_dismiss(actor=request.auth, entry=entry_id, reason=payload.reason))


@router.post("/black/{entry_id}/remove", response={200: BlackEntryOut, **DECISION_ERRORS},
             summary="Take a published entry off the black list, with a reason (council of the business's region)")
def black_remove(request, entry_id: PathId, payload: ReasonIn):
    return _black_decided(lists.blacklist_remove(actor=request.auth, entry=entry_id, reason=payload.reason))


# ------------------------------------------------------------------- the red list


@router.get("/red", auth=optional_bearer, response={200: RedPage, **errors(401, 422)},
            summary="The red list (消费者满意商户): confirmed entries, newest first (public)")
def red_list(request, filters: Query[ListQuery]):
    qs = lists.redlist_confirmed(region=_public_region(filters.region))
    rows, next_cursor = keyset_page(qs, field="decided_at", cursor=filters.cursor, size=filters.size)
    return {"items": [_red(e) for e in rows], "next_cursor": next_cursor}


@router.get("/red/candidates", response={200: RedCandidates, **errors(401, 403, 422)},
            summary="Businesses in your jurisdiction that qualify for the red list now, best first (council)")
def red_candidates(request, region: str | None = Query(None, max_length=6)):
    rows = lists.redlist_candidates(region=oversight_region(request.auth, region))
    return {"items": [{
        "business": _business(r["business"]), "credit_index": float(r["credit_index"]),
        "stars": float(r["star_rating"]) if r["star_rating"] is not None else None,
        "cases": r["cases"], "settled": r["settled"], "settlement_rate": r["settlement_rate"],
    } for r in rows]}


@router.get("/red/{entry_id}", auth=optional_bearer, response={200: RedEntryOut, **errors(401, 404, 410, 422)},
            summary="A confirmed red-list entry (public); 410 once removed, with when and how; 404 for one never "
                    "confirmed",
            description="The same rule as the public page /redlist/{id}/ (``ratings.public.public_red_entry``).")
def red_entry(request, entry_id: PathId):
    return _red(public_red_entry(entry_id))


@router.post("/red", response={201: RedEntryOut, **DECISION_ERRORS},
             summary="Confirm a qualifying business on the red list, with a reason (council of its region)")
def red_confirm(request, payload: ConfirmIn):
    entry = lists.redlist_confirm(actor=request.auth, business=payload.business_id, reason=payload.reason)
    return Status(201, _red(lists.redlist_entries().get(pk=entry.pk)))


@router.post("/red/{entry_id}/remove", response={200: RedEntryOut, **DECISION_ERRORS},
             summary="Take a business off the red list, with a reason (council of its region)")
def red_remove(request, entry_id: PathId, payload: ReasonIn):
    entry = lists.redlist_remove(actor=request.auth, entry=entry_id, reason=payload.reason)
    return _red(lists.redlist_entries().get(pk=entry.pk))


# ------------------------------------------------------------------- appeals


@router.post("/black/{entry_id}/appeals",
             response={201: AppealOut, **errors(400, 401, 403, 404, 409, 413, 415, 422, 503)},
             summary="Appeal a published black-list entry, with a text and up to 5 files (the business's staff)",
             description="Multipart: field `text`, and `files` (images or PDF, checked as order evidence is). One "
                         "appeal waits at a time (409). The council of the business's region is told.")
def appeal_create(request, entry_id: PathId, text: Annotated[str, Form(max_length=2000)],
                  files: Annotated[list[UploadedFile] | None, File()] = None):
    lists.blacklist_appeals_for(request.auth, entry_id)  # 404 before reading a stranger's upload
    uploads = [((f.name or "").replace("\x00", ""), f.read(max_bytes() + 1)) for f in (files or [])[:6]]
    appeal = lists.blacklist_appeal(actor=request.auth, entry=entry_id, text=text, files=uploads)
    return Status(201, _appeal(appeal))


@router.get("/black/{entry_id}/appeals", response={200: AppealList, **errors(401, 404, 422)},
            summary="The appeals of a black-list entry, oldest first (the business's staff and its council)")
def appeal_list(request, entry_id: PathId):
    return {"items": [_appeal(a) for a in lists.blacklist_appeals_for(request.auth, entry_id)]}


@router.post("/appeals/{appeal_id}/decide", response={200: AppealOut, **DECISION_ERRORS},
             summary="Decide an appeal with a reason; upheld removes the entry (council of the business's region)")
def appeal_decide(request, appeal_id: PathId, payload: DecideIn):
    appeal = lists.blacklist_appeal_decide(actor=request.auth, appeal=appeal_id, upheld=payload.upheld,
                                           reason=payload.reason)
    return _appeal(appeal)


@router.get("/appeals/{appeal_id}/files/{file_id}", response=errors(401, 404, 422, 503),
            summary="Download a file of an appeal (the business's staff and its council)",
            openapi_extra=file_download("the file, with Content-Disposition and X-Content-Type-Options: nosniff"))
def appeal_file(request, appeal_id: PathId, file_id: PathId):
    return stored_file_response(lists.appeal_file_open_for(request.auth, appeal_id, file_id))
