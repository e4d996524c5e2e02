"""Complaints (work orders): filing, reading, and every action on an order.

Thin: parse and type the input, call the services (writes) and selectors
(reads), shape the output. Who may do what, in which state and by when is
decided by ``hejie.complaints.services`` and the transition table; an order
that is not the caller's answers 404 (the selectors and services raise
NotFound), an action out of turn 409, an action for another side 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Header, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt

from hejie.accounts import privacy
from hejie.api.v1.pagination import MAX_PAGE_SIZE, keyset_page
from hejie.api.v1.schemas import QueryInt, StrictSchema, Text, errors, file_download, whole_number
from hejie.complaints import evidence as evidence_files
from hejie.complaints import policy, selectors, services
from hejie.complaints.events import EventType
from hejie.complaints.models import MAX_WORKDAYS, Complaint, Mediation, Proposal, Urge
from hejie.complaints.states import Side, State
from hejie.core import clock
from hejie.core.errors import NotFound, invalid
from hejie.core.http import stored_file_response
from hejie.regions.selectors import region_get

router = Router(tags=["complaints"])

MAX_ID = 2**63 - 1
TEXT = services.MAX_TEXT
SHORT_TEXT = 1000


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


Utc = Annotated[dt.datetime, AfterValidator(_utc)]


Id = Annotated[int, BeforeValidator(whole_number), Path(..., ge=1, le=MAX_ID, description="the order's id")]
Pid = Annotated[int, BeforeValidator(whole_number), Path(..., ge=1, le=MAX_ID, description="the proposal's id")]
Uid = Annotated[int, BeforeValidator(whole_number), Path(..., ge=1, le=MAX_ID, description="the urge's id")]
Eid = Annotated[int, BeforeValidator(whole_number),
                Path(..., ge=1, le=MAX_ID, description="the evidence file's id")]
BodyId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Amount = Annotated[
    Decimal | None,
    Field(description='yuan, as a decimal string ("38.50") or a number; at most two decimal places, '
                      "0 to 10,000,000"),
]

ACTION_ERRORS = errors(400, 401, 403, 404, 409, 422)


# --------------------------------------------------------------------------- input


class ComplaintIn(StrictSchema):
    business_id: BodyId | None = Field(None, description="a business on the platform (GET /businesses)")
    business_name: Text | None = Field(None, max_length=120,
                                      description="a business not on the platform: its name (then region_code)")
    region_code: Text | None = Field(None, max_length=6,
                                    description="GB/T 2260 code of where it happened, for a business not on the "
                                                "platform")
    business_phone: Text | None = Field(None, max_length=20,
                                        description="a business not on the platform: its mainland mobile; it is then "
                                                    "invited by SMS to claim the order (state pending_review, "
                                                    "review_reason awaiting_claim until it does)")
    business_credit_code: Text | None = Field(None, max_length=30,
                                              description="a business not on the platform: its unified social "
                                                          "credit code; one already on the platform receives the "
                                                          "order as if business_id had named it")
    store_id: BodyId | None = Field(None, description="one of the business's stores")
    problem_type: Complaint.ProblemType
    description: Text = Field(max_length=TEXT, description="what happened (at least 10 characters)")
    claim_type: Complaint.ClaimType
    claim_amount: Amount = Field(None)
    purchase_amount: Amount = Field(None)
    purchase_date: dt.date | None = Field(None, description="YYYY-MM-DD, not in the future")
    order_ref: Text | None = Field(None, max_length=64, description="the order number on the receipt or app")


class MessageIn(StrictSchema):
    body: Text = Field(max_length=TEXT)
    evidence_id: BodyId | None = Field(None, description="an evidence file of this order to attach")
    clause_id: BodyId | None = Field(None, description="a clause of the service standard in force for the "
                                                       "business's industry (GET /standards) to cite")


class ProposalIn(StrictSchema):
    terms: Text = Field(max_length=TEXT, description="what the business offers to do")
    amount: Amount = Field(None)
    clause_id: BodyId | None = Field(None, description="a service-standard clause the offer rests on")


class ProposalRejectIn(StrictSchema):
    reason: Text | None = Field(default=None, max_length=SHORT_TEXT)
    counter_terms: Text | None = Field(default=None, max_length=TEXT, description="what the consumer would accept")
    counter_amount: Amount = Field(default=None)
    counter_clause_id: BodyId | None = Field(default=None, description="a service-standard clause the counter-offer "
                                                                       "rests on (needs counter_terms)")


class ReasonIn(StrictSchema):
    reason: Text = Field(max_length=SHORT_TEXT)


class OptionalReasonIn(StrictSchema):
    reason: Text | None = Field(default=None, max_length=SHORT_TEXT)


class MediationRequestIn(StrictSchema):
    reason: Text | None = Field(default=None, max_length=TEXT)


class NoteIn(StrictSchema):
    note: Text | None = Field(default=None, max_length=SHORT_TEXT)


class MediationOutcomeIn(StrictSchema):
    outcome: Literal["settled", "failed"]
    terms: Text | None = Field(None, max_length=TEXT, description="required when settled")
    amount: Amount = Field(None)


class MediationExtendIn(StrictSchema):
    workdays: StrictInt = Field(ge=1, le=MAX_WORKDAYS,
                                description="working days added after the current limit; at most the policy's "
                                            "mediation_extension_max_workdays")
    reason: Text = Field(min_length=2, max_length=SHORT_TEXT, description="the recorded decision's reason")


class RatingIn(StrictSchema):
    satisfaction: StrictInt = Field(ge=1, le=5)
    comment: Text | None = Field(None, max_length=SHORT_TEXT)


class FulfilmentIn(StrictSchema):
    fulfilled: StrictBool = Field(description="consumer: true = carried out, false = not; business: true only")
    note: Text | None = Field(None, max_length=SHORT_TEXT, description="consumer only")


class ForwardIn(StrictSchema):
    business_id: BodyId | None = Field(None, description="deliver to this business on the platform, or")
    external: Text | None = Field(None, max_length=120, description="hand it to another body, e.g. 12315")
    note: Text | None = Field(None, max_length=SHORT_TEXT)


# --------------------------------------------------------------------------- output


class BusinessRef(Schema):
    id: int | None = Field(description="null for a business not on the platform")
    name: str


class StoreRef(Schema):
    id: int
    name: str


class RegionRef(Schema):
    code: str
    name: str


class ComplaintCreated(Schema):
    id: int
    number: str
    state: State
    created_at: Utc
    delivered_at: Utc | None
    respond_by: Utc | None
    settle_by: Utc | None


class ComplaintItem(Schema):
    id: int
    number: str
    state: State
    business: BusinessRef
    created_at: Utc
    delivered_at: Utc | None
    respond_by: Utc | None
    settle_by: Utc | None
    first_response_at: Utc | None
    stars: int | None
    credit_points: int | None
    problem_type: Complaint.ProblemType
    claim_type: Complaint.ClaimType
    claim_amount: str | None = Field(description="yuan, decimal string")
    overdue_response: bool = Field(description="delivered, no first response, past respond_by")
    overdue_settlement: bool = Field(description="still reconciling past settle_by (the sweep will end it)")


class ComplaintPage(Schema):
    items: list[ComplaintItem]
    next_cursor: str | None


class ConsumerOut(Schema):
    display_name: str
    phone: str = Field(description="in full to the consumer, to the staff of the active business the order was "
                                   "delivered to, and to council staff granted the right; masked otherwise "
                                   "(138****1234), and then the order's free text is masked too")


class Deadlines(Schema):
    respond_by: Utc | None
    settle_by: Utc | None
    consumer_reply_by: Utc | None
    next_urge_at: Utc | None
    review_by: Utc | None = Field(description="the council's limit to forward or reject an order in its review queue")


class EventOut(Schema):
    id: int
    type: EventType
    side: Side
    actor: str | None
    created_at: Utc
    state_from: str
    state_to: str
    payload: dict[str, Any]


class CitedClauseOut(Schema):
    id: int
    standard_id: int
    standard_title: str
    version: int
    number: str
    text: str = Field(description="the clause's text at the cited version")


class MessageOut(Schema):
    id: int
    side: Side
    author: str
    body: str
    evidence_id: int | None
    clause: CitedClauseOut | None = None
    created_at: Utc


class ProposalOut(Schema):
    id: int
    side: Side
    terms: str
    amount: str | None
    status: Proposal.Status
    reply_by: Utc | None
    reject_reason: str
    clause: CitedClauseOut | None = None
    created_at: Utc
    decided_at: Utc | None


class EvidenceOut(Schema):
    id: int
    name: str
    kind: str
    content_type: str
    size: int
    side: Side
    created_at: Utc
    url: str = Field(description="GET it with the same bearer token")


class UrgeOut(Schema):
    id: int
    kind: Urge.Kind
    reason: str
    note: str
    created_at: Utc
    acknowledged_at: Utc | None


class MediationOut(Schema):
    id: int
    requested_at: Utc
    reason: str
    outcome: str = Field(description='"" in progress, settled or failed')
    terms: str
    amount: str | None
    decided_at: Utc | None
    decide_by: Utc | None = Field(description="the council's limit (working days, Asia/Shanghai midnight)")
    extended_at: Utc | None = Field(description="when the limit was extended (once at most)")
    extension_workdays: int | None
    extension_reason: str


class ComplaintDetail(ComplaintItem):
    description: str
    store: StoreRef | None
    region: RegionRef
    consumer: ConsumerOut
    purchase_amount: str | None
    purchase_date: dt.date | None
    order_ref: str
    review_reason: str
    closing_reason: str
    forwarded_to: str
    consumer_reply_by: Utc | None
    outcome_at: Utc | None
    settled_at: Utc | None
    deadlines: Deadlines
    fulfilment: str = Field(description='"", claimed, confirmed or not_fulfilled')
    satisfaction: int | None
    satisfaction_comment: str
    rated_at: Utc | None
    your_side: Side
    allowed_actions: list[str] = Field(description="what the caller can do on this order now (the transition "
                                                   "table narrowed by the order's facts: an offer pending, a rating "
                                                   "given, an urge to acknowledge)")
    timeline: list[EventOut]
    messages: list[MessageOut]
    proposals: list[ProposalOut]
    evidence: list[EvidenceOut]
    urges: list[UrgeOut]
    mediations: list[MediationOut]


# --------------------------------------------------------------------------- shaping


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _person(user, side: str, complaint: Complaint) -> str | None:
    """How a person is named on an order: display name, else their role.
    Never a username (a consumer's carries the phone number)."""
    if user is None:
        return None if side == Side.SYSTEM else str(Side(side).label)
    if user.display_name:
        return user.display_name
    if side == Side.BUSINESS and complaint.business is not None:  # a null key reads no row
        return complaint.business.name
    return str(Side(side).label)


def _item(c: Complaint, now: dt.datetime) -> dict:
    return {
        "id": c.pk, "number": c.number, "state": c.state,
        "business": {"id": c.business_id, "name": c.business_display_name},
        "created_at": c.created_at, "delivered_at": c.delivered_at, "respond_by": c.respond_by,
        "settle_by": c.settle_by, "first_response_at": c.first_response_at, "stars": c.stars,
        "credit_points": c.credit_points, "problem_type": c.problem_type, "claim_type": c.claim_type,
        "claim_amount": _money(c.claim_amount),
        "overdue_response": policy.overdue_response(c, now),
        "overdue_settlement": policy.overdue_settlement(c, now),
    }


def _evidence(e) -> dict:
    return {
        "id": e.pk, "name": e.original_name, "kind": e.kind, "content_type": e.content_type, "size": e.size,
        "side": e.side, "created_at": e.created_at,
        "url": f"/api/v1/complaints/{e.complaint_id}/evidence/{e.pk}",
    }


def _clause(row) -> dict | None:
    c = row.clause if row.clause_id else None
    if c is None:
        return None
    return {"id": c.pk, "standard_id": c.version.standard_id, "standard_title": c.version.standard.title,
            "version": c.version.version, "number": c.number, "text": c.text}


def _message(m, complaint: Complaint) -> dict:
    return {"id": m.pk, "side": m.side, "author": _person(m.author, m.side, complaint), "body": m.body,
            "evidence_id": m.evidence_id, "clause": _clause(m), "created_at": m.created_at}


def _proposal(p) -> dict:
    return {"id": p.pk, "side": p.side, "terms": p.terms, "amount": _money(p.amount), "status": p.status,
            "reply_by": p.reply_by, "reject_reason": p.reject_reason, "clause": _clause(p), "created_at": p.created_at,
            "decided_at": p.decided_at}


def _urge(u) -> dict:
    return {"id": u.pk, "kind": u.kind, "reason": u.reason, "note": u.note, "created_at": u.created_at,
            "acknowledged_at": u.acknowledged_at}


def _mediation(m: Mediation) -> dict:
    return {"id": m.pk, "requested_at": m.requested_at, "reason": m.reason, "outcome": m.outcome,
            "terms": m.terms, "amount": _money(m.amount), "decided_at": m.decided_at, "decide_by": m.decide_by,
            "extended_at": m.extended_at, "extension_workdays": m.extension_workdays,
            "extension_reason": m.extension_reason}


def _detail(user, complaint_id) -> dict:
    c = selectors.complaint_get_for(user, complaint_id)
    services.complaint_viewed(viewer=user, complaint=c)
    side = services.side_of(user, c)
    messages = list(c.messages.all())
    prefetch_related_objects(messages, "author")
    prefetch_related_objects(messages, "clause__version__standard")
    prefetch_related_objects(list(c.proposals.all()), "clause__version__standard")
    # The selector masked the consumer's data and the free text for a reader without the right
    # (``access.may_see_personal_data_on``); consumer_view says it again, for the phone and name.
    consumer = privacy.consumer_view(user, c.consumer, c)
    return {
        **_item(c, clock.now()),
        "description": c.description,
        "store": {"id": c.store_id, "name": c.store.name} if c.store is not None else None,
        "region": {"code": c.region_id, "name": c.region.full_name},
        "consumer": {"display_name": consumer["name"] or str(Side.CONSUMER.label), "phone": consumer["phone"]},
        "purchase_amount": _money(c.purchase_amount), "purchase_date": c.purchase_date, "order_ref": c.order_ref,
        "review_reason": c.review_reason, "closing_reason": c.closing_reason, "forwarded_to": c.forwarded_to,
        "consumer_reply_by": c.consumer_reply_by, "outcome_at": c.outcome_at, "settled_at": c.settled_at,
        "deadlines": {"respond_by": c.respond_by, "settle_by": c.settle_by, "consumer_reply_by": c.consumer_reply_by,
                      "next_urge_at": c.next_urge_at, "review_by": c.review_by},
        "fulfilment": c.fulfilment, "satisfaction": c.satisfaction, "satisfaction_comment": c.satisfaction_comment,
        "rated_at": c.rated_at,
        "your_side": side,
        "allowed_actions": selectors.actions_for(user, c),
        "timeline": [
            {"id": e.pk, "type": e.type, "side": e.side, "actor": _person(e.actor, e.side, c),
             "created_at": e.created_at, "state_from": e.state_from, "state_to": e.state_to, "payload": e.payload}
            for e in c.events.all()
        ],
        "messages": [_message(m, c) for m in messages],
        "proposals": [_proposal(p) for p in c.proposals.all()],
        "evidence": [_evidence(e) for e in c.evidence.all()],
        "urges": [_urge(u) for u in c.urges.all()],
        "mediations": [_mediation(m) for m in c.mediations.all()],
    }


# Filing-day filters beyond these bounds select everything on that side (and
# keep the arithmetic away from datetime's year 1 and year 9999).
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(9000, 1, 1)


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of a calendar day in Asia/Shanghai (the day the platform shows)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.SHANGHAI)


def _text(value: str | None) -> str:
    return value or ""


# --------------------------------------------------------------------------- filing and reading


@router.post(
    "", response={201: ComplaintCreated, **errors(400, 401, 403, 409, 422, 429)},
    summary="File a complaint (consumer)",
    description="Delivered straight to an active business on the platform (the clock starts), otherwise queued "
                "for the council of the region. Send an `Idempotency-Key` header to make retries safe: the same "
                "key with the same body answers with the same order (header `Idempotent-Replayed: true`), the "
                "same key with another body is a 409 `idempotency_mismatch`. At most "
                f"{services.FILING_LIMIT} complaints per consumer per hour (429 with `Retry-After`).",
)
def file_complaint(
    request, response: HttpResponse, payload: ComplaintIn,
    idempotency_key: Annotated[Text | None, Header(None, alias="Idempotency-Key", max_length=100)] = None,
):
    complaint = services.complaint_submit(
        consumer=request.auth, business_id=payload.business_id, business_name=_text(payload.business_name),
        business_phone=_text(payload.business_phone), business_credit_code=_text(payload.business_credit_code),
        store_id=payload.store_id, region_code=payload.region_code, problem_type=payload.problem_type.value,
        description=payload.description, claim_type=payload.claim_type.value, claim_amount=payload.claim_amount,
        purchase_amount=payload.purchase_amount, purchase_date=payload.purchase_date,
        order_ref=_text(payload.order_ref), idempotency_key=idempotency_key,
    )
    body = {
        "id": complaint.pk, "number": complaint.number, "state": complaint.state,
        "created_at": complaint.created_at, "delivered_at": complaint.delivered_at,
        "respond_by": complaint.respond_by, "settle_by": complaint.settle_by,
    }
    response["Location"] = f"/api/v1/complaints/{complaint.pk}"
    if getattr(complaint, "idempotent_replay", False):
        response["Idempotent-Replayed"] = "true"
    return Status(201, body)


@router.get(
    "", response={200: ComplaintPage, **errors(401, 422)},
    summary="Orders the caller may see: own (consumer), own business's (staff), region subtree (council)",
    description="Newest first, keyset-paginated: pass `next_cursor` back as `cursor`. `from`/`to` are calendar "
                "days (Asia/Shanghai) of filing, both inclusive.",
)
def list_complaints(
    request,
    state: State | None = None,
    business_id: Annotated[QueryInt | None, Query(None, ge=1, le=MAX_ID)] = None,
    region: Annotated[Text | None, Query(None, max_length=6, description="GB/T 2260 code: its whole subtree")] = None,
    from_: Annotated[dt.date | None, Query(None, alias="from", description="YYYY-MM-DD")] = None,
    to: Annotated[dt.date | None, Query(None, description="YYYY-MM-DD")] = None,
    q: Annotated[Text | None, Query(None, max_length=24, description="order number, or its beginning")] = None,
    cursor: Annotated[Text | None, Query(None, max_length=200)] = None,
    size: Annotated[QueryInt | None, Query(None, ge=1, le=MAX_PAGE_SIZE)] = None,
):
    qs = selectors.complaints_for(request.auth)
    if state is not None:
        qs = qs.filter(state=state.value)
    if business_id is not None:
        qs = qs.filter(business_id=business_id)
    if region:
        qs = qs.filter(**region_get(region, field="region").subtree_filter())
    if from_ is not None and to is not None and from_ > to:
        raise invalid("to", _("结束日期早于开始日期"))
    if from_ is not None and from_ > EARLIEST_DAY:
        qs = qs.filter(created_at__gte=_day_start(from_))
    if to is not None and to < LATEST_DAY:
        qs = qs.filter(created_at__lt=_day_start(to + dt.timedelta(days=1)))
    if q and q.strip():
        qs = qs.filter(number__startswith=q.strip().upper())
    try:
        rows, next_cursor = keyset_page(qs, field="created_at", cursor=cursor, size=size)
    except OverflowError:  # a forged cursor at the edge of time (year 1 / 9999)
        raise invalid("cursor", _("无效的翻页游标")) from None
    now = clock.now()
    return {"items": [_item(selectors.masked_row_for(request.auth, c), now) for c in rows],
            "next_cursor": next_cursor}


@router.get("/{id}", response={200: ComplaintDetail, **errors(401, 404, 422)},
            summary="One order: timeline, messages, proposals, evidence, urges, mediation, deadlines, scores")
def get_complaint(request, id: Id):
    return _detail(request.auth, id)


# --------------------------------------------------------------------------- evidence


@router.post(
    "/{id}/evidence", response={201: EvidenceOut, **errors(400, 401, 403, 404, 409, 413, 415, 422, 503)},
    summary="Attach a file: JPEG, PNG, GIF, WebP or PDF",
    description="Multipart field `file`. The type is read from the bytes; photos are re-encoded without EXIF. "
                "413 over the size limit, 415 for another type, 409 over the per-order count, 503 when the "
                "file storage is out of reach (try again later). The same file sent twice is one file.",
)
def upload_evidence(request, id: Id, file: Annotated[UploadedFile, File(...)]):
    selectors.complaint_get_for(request.auth, id)  # 404 before reading a stranger's upload
    data = file.read(evidence_files.max_bytes() + 1)
    name = (file.name or "").replace("\x00", "").encode("utf-8", "replace").decode()
    evidence = evidence_files.evidence_add(actor=request.auth, complaint=id, name=name, data=data)
    return Status(201, _evidence(evidence))


@router.get(
    "/{id}/evidence/{eid}", response=errors(401, 404, 422, 503), summary="Download an evidence file",
    openapi_extra=file_download("the file, with Content-Disposition and X-Content-Type-Options: nosniff"),
)
def download_evidence(request, id: Id, eid: Eid, download: bool = False):
    evidence = evidence_files.evidence_open_for(request.auth, id, eid)
    return stored_file_response(evidence, download=download)


# --------------------------------------------------------------------------- negotiation


@router.post("/{id}/messages", response={201: MessageOut, **ACTION_ERRORS},
             summary="Post a message on the order (consumer, business, council)")
def post_message(request, id: Id, payload: MessageIn):
    message = services.message_post(actor=request.auth, complaint=id, body=payload.body,
                                    evidence_id=payload.evidence_id, clause_id=payload.clause_id)
    return Status(201, _message(message, message.complaint))


@router.post("/{id}/proposals", response={201: ProposalOut, **ACTION_ERRORS},
             summary="Make a settlement offer (business); replaces a pending one")
def make_proposal(request, id: Id, payload: ProposalIn):
    proposal = services.proposal_make(actor=request.auth, complaint=id, terms=payload.terms, amount=payload.amount,
                                      clause_id=payload.clause_id)
    return Status(201, _proposal(proposal))


@router.post("/{id}/proposals/{pid}/accept", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Accept the business's offer (consumer): the case is settled")
def accept_proposal(request, id: Id, pid: Pid):
    services.proposal_accept(actor=request.auth, complaint=id, proposal_id=pid)
    return _detail(request.auth, id)


@router.post("/{id}/proposals/{pid}/reject", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Reject the business's offer (consumer), optionally with a counter-offer")
def reject_proposal(request, id: Id, pid: Pid, payload: ProposalRejectIn | None = None):
    payload = payload or ProposalRejectIn()
    services.proposal_reject(actor=request.auth, complaint=id, proposal_id=pid, reason=_text(payload.reason),
                             counter_terms=_text(payload.counter_terms), counter_amount=payload.counter_amount,
                             counter_clause_id=payload.counter_clause_id)
    return _detail(request.auth, id)


@router.post("/{id}/refuse", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Decline to settle (business): the reconciliation fails and counts against the business")
def refuse(request, id: Id, payload: ReasonIn):
    services.complaint_refuse(actor=request.auth, complaint=id, reason=payload.reason)
    return _detail(request.auth, id)


@router.post("/{id}/withdraw", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Withdraw the complaint (consumer)")
def withdraw(request, id: Id, payload: OptionalReasonIn | None = None):
    payload = payload or OptionalReasonIn()
    services.complaint_withdraw(actor=request.auth, complaint=id, reason=_text(payload.reason))
    return _detail(request.auth, id)


# --------------------------------------------------------------------------- urging and mediation


@router.post("/{id}/urge", response={201: UrgeOut, **ACTION_ERRORS},
             summary="Urge the business (council); the business must acknowledge")
def urge(request, id: Id, payload: NoteIn | None = None):
    payload = payload or NoteIn()
    created = services.complaint_urge(actor=request.auth, complaint=id, note=_text(payload.note))
    return Status(201, _urge(created))


@router.post("/{id}/urges/{uid}/acknowledge", response={200: UrgeOut, **ACTION_ERRORS},
             summary="Acknowledge an urge (business)")
def acknowledge_urge(request, id: Id, uid: Uid):
    complaint = selectors.complaint_get_for(request.auth, id)
    if not any(u.pk == uid for u in complaint.urges.all()):
        raise NotFound(_("催办不存在"))
    return _urge(services.urge_acknowledge(actor=request.auth, urge_id=uid))


@router.post("/{id}/mediation", response={201: MediationOut, **ACTION_ERRORS},
             summary="Ask the council to mediate (consumer, after a failure or an unfulfilled settlement), "
                     "or take the case into mediation (council)")
def request_mediation(request, id: Id, payload: MediationRequestIn | None = None):
    payload = payload or MediationRequestIn()
    mediation = services.mediation_request(actor=request.auth, complaint=id, reason=_text(payload.reason))
    return Status(201, _mediation(mediation))


@router.post("/{id}/mediation/extend", response={200: MediationOut, **ACTION_ERRORS},
             summary="Extend the mediation's limit once, by a recorded decision with a reason (council)")
def mediation_extend(request, id: Id, payload: MediationExtendIn):
    mediation = services.mediation_extend(actor=request.auth, complaint=id, workdays=payload.workdays,
                                          reason=payload.reason)
    return _mediation(mediation)


@router.post("/{id}/mediation/outcome", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Record how the mediation ended (council)")
def mediation_outcome(request, id: Id, payload: MediationOutcomeIn):
    services.mediation_record_outcome(actor=request.auth, complaint=id, outcome=payload.outcome,
                                      terms=_text(payload.terms), amount=payload.amount)
    return _detail(request.auth, id)


# --------------------------------------------------------------------------- after the outcome


@router.post("/{id}/rating", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Rate satisfaction 1-5 with a comment (consumer, once, after the outcome)")
def rate(request, id: Id, payload: RatingIn):
    services.complaint_rate(actor=request.auth, complaint=id, satisfaction=payload.satisfaction,
                            comment=_text(payload.comment))
    return _detail(request.auth, id)


@router.post(
    "/{id}/fulfilment", response={200: ComplaintDetail, **ACTION_ERRORS},
    summary="Fulfilment of the settlement: the business marks it done; the consumer confirms or disputes it",
    description='Business: `{"fulfilled": true}`. Consumer: `{"fulfilled": true|false, "note": "..."}`; '
                "a dispute (false) opens the way to mediation.",
)
def fulfilment(request, id: Id, payload: FulfilmentIn):
    complaint = selectors.complaint_get_for(request.auth, id)
    if services.side_of(request.auth, complaint) == Side.BUSINESS:
        if not payload.fulfilled:
            raise invalid("fulfilled", _("经营者只能标记为已履行"))
        if payload.note:
            raise invalid("note", _("备注仅供消费者填写"))
        services.fulfilment_mark(actor=request.auth, complaint=id)
    else:
        services.fulfilment_confirm(actor=request.auth, complaint=id, fulfilled=payload.fulfilled,
                                    note=_text(payload.note))
    return _detail(request.auth, id)


# --------------------------------------------------------------------------- the council's queue


@router.post("/{id}/forward", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Forward a queued order (council): to a business on the platform, or to another body")
def forward(request, id: Id, payload: ForwardIn):
    if payload.business_id is not None and payload.external:
        raise invalid("external", _("请二选一：转交平台商户或外部机构"))
    services.complaint_forward(actor=request.auth, complaint=id, business_id=payload.business_id,
                               external=_text(payload.external), note=_text(payload.note))
    return _detail(request.auth, id)


@router.post("/{id}/reject", response={200: ComplaintDetail, **ACTION_ERRORS},
             summary="Reject a queued order with a reason (council)")
def reject(request, id: Id, payload: ReasonIn):
    services.complaint_reject(actor=request.auth, complaint=id, reason=payload.reason)
    return _detail(request.auth, id)
