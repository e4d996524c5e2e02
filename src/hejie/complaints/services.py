"""Every write to a complaint goes through here.

Each service: lock the order row, work out which side the actor plays on it
(consumer / business / council / system), check the action against the one
transition table (``states.check``), act, append an event to the timeline,
recompute the stored deadlines, all in one transaction. A person acting on an
order whose deadline has already passed meets the same outcome the sweep
would have produced: overdue deadlines are applied first (in their own
transaction, so they stick), then the action is checked against the new state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from hejie.accounts import access
from hejie.businesses.models import Business, Store
from hejie.complaints import events
from hejie.complaints import policy as rules
from hejie.complaints.events import EventType
from hejie.complaints.models import Complaint, ComplaintEvent, Mediation, Message, Policy, Proposal, Urge
from hejie.complaints.numbering import next_number
from hejie.complaints.states import NEW, OPEN_STATES, RECONCILING, Side, State, check
from hejie.core import clock
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited, invalid
from hejie.core.validation import clean_text
from hejie.regions.selectors import region_get
from hejie.standards.selectors import clause_citable

# A deadline passes strictly after its moment: at exactly 14 days the case is
# still "within 14 days"; one microsecond later it is not.
JUST_AFTER = dt.timedelta(microseconds=1)
MAX_AMOUNT = Decimal("10000000")  # ten million yuan: beyond this an amount is a typo, not a claim
MAX_TEXT = 5000
EARLIEST_PURCHASE = dt.date(2000, 1, 1)
MEDIATION_ROUTES = "12315行政投诉、仲裁、向人民法院起诉 (12315 administrative complaint, arbitration, court)"
# Filing flood limit: at most this many complaints per consumer in a rolling
# window. A module constant, not a Policy field: it guards the platform
# against abuse rather than setting a rule of the reconciliation.
FILING_LIMIT = 10
FILING_WINDOW = dt.timedelta(hours=1)
IDEMPOTENCY_KEY_MAX = 100
DESCRIPTION_MIN = 10  # what happened, in at least this many characters
AMOUNT_CLAIMS = frozenset({"refund", "compensation"})  # claims that must say how much


# --------------------------------------------------------------------------- helpers


_SIDE_OF_ROLE = {access.Role.CONSUMER: Side.CONSUMER, access.Role.BUSINESS: Side.BUSINESS,
                 access.Role.COUNCIL: Side.COUNCIL}


def side_of(user, complaint: Complaint) -> str | None:
    """The side ``user`` plays on ``complaint`` (``access.order_role``), or None if it is not theirs to see."""
    return _SIDE_OF_ROLE.get(access.order_role(user, complaint))


def _lock(complaint_or_id) -> Complaint:
    pk = complaint_or_id.pk if isinstance(complaint_or_id, Complaint) else complaint_or_id
    try:
        complaint = Complaint.objects.select_for_update(of=("self",)).select_related("business").get(pk=pk)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise NotFound("投诉不存在 (no such complaint)") from None
    events.watch(complaint)
    return complaint


def _open_for(actor, complaint_or_id, action: str) -> tuple[Complaint, str, Policy, dt.datetime]:
    """Apply overdue deadlines, then lock the order and check ``actor`` may take ``action``.

    Must be called inside a transaction."""
    pk = complaint_or_id.pk if isinstance(complaint_or_id, Complaint) else complaint_or_id
    now = clock.now()
    complaint = _lock(pk)
    side = side_of(actor, complaint)
    if side is None:
        # Not yours: answer as if it did not exist (no probing of numbers).
        raise NotFound("投诉不存在 (no such complaint)")
    policy = rules.get_policy()
    events.current().policy = policy
    if complaint.next_deadline_at is not None and complaint.next_deadline_at <= now:
        _process_due(complaint, policy, now)
    check(action, complaint.state, side)
    return complaint, side, policy, now


def _catch_up(complaint_or_id) -> None:
    """Apply an order's overdue deadlines in a transaction of their own, so
    they stand even when the action that follows is refused."""
    pk = complaint_or_id.pk if isinstance(complaint_or_id, Complaint) else complaint_or_id
    now = clock.now()
    due = Complaint.objects.filter(pk=pk, next_deadline_at__lte=now).exists() if isinstance(pk, int) else False
    if due:
        complaint_process_due(complaint=pk, now=now)


@contextlib.contextmanager
def _acting(actor, complaint_or_id, action: str):
    """``with _acting(actor, order, "accept") as (order, side, policy, now):`` —
    catch up on deadlines, then one transaction with the order locked and the
    action checked against the transition table: one unit of work, whose events
    the consumers follow when the block ends."""
    _catch_up(complaint_or_id)
    with transaction.atomic(), events.unit():
        yield _open_for(actor, complaint_or_id, action)


def _event(complaint: Complaint, type_: EventType, *, actor, side: str, now: dt.datetime, state_from: str = "",
           payload: dict | None = None, context: dict | None = None) -> ComplaintEvent:
    """Append an event to the timeline and to the open unit of work (``context``: objects
    the consumers may use without reading them again, see ``events.record``)."""
    event = ComplaintEvent.objects.create(
        complaint=complaint, type=type_, actor=actor, side=side, created_at=now,
        state_from=state_from, state_to=complaint.state if state_from else "", payload=payload or {},
    )
    return events.record(event, context=context)


def _move(complaint: Complaint, action: str, *, actor, side: str, now: dt.datetime, payload: dict | None = None,
          context: dict | None = None) -> None:
    """Take a state-changing action: check, set the state, record the event."""
    rule = check(action, complaint.state if complaint.pk else NEW, side)
    state_from = complaint.state or NEW
    complaint.state = rule.to
    _event(complaint, EventType(action), actor=actor, side=side, now=now, state_from=state_from, payload=payload,
           context=context)


def _pending_proposal(complaint: Complaint) -> Proposal | None:
    return complaint.proposals.filter(status=Proposal.Status.PENDING).first()


def _refresh_timers(complaint: Complaint, policy: Policy, pending: Proposal | None = None) -> None:
    """Recompute the stored deadlines from the state (and the pending offer)."""
    if complaint.state not in RECONCILING:
        complaint.next_urge_at = complaint.consumer_reply_by = complaint.next_deadline_at = None
        return
    level, urge_at = rules.next_auto_urge(complaint, policy)
    complaint.auto_urge_level = level
    complaint.next_urge_at = urge_at
    candidates = [complaint.settle_by + JUST_AFTER]
    if urge_at is not None:
        candidates.append(urge_at + JUST_AFTER)
    if complaint.state == State.NEGOTIATING and pending is None:
        pending = _pending_proposal(complaint)
    if pending is not None:
        complaint.consumer_reply_by = pending.reply_by
        candidates.append(pending.reply_by + JUST_AFTER)
        reminder = rules.next_consumer_reminder(complaint, pending.created_at, policy)
        if reminder is not None:
            candidates.append(reminder)
    else:
        complaint.consumer_reply_by = None
    complaint.next_deadline_at = min(candidates)


TIMER_FIELDS = ("auto_urge_level", "next_urge_at", "consumer_reply_by", "consumer_reminder_level", "next_deadline_at")


def _save(complaint: Complaint, *fields: str) -> None:
    complaint.save(update_fields=sorted(set(fields) | set(TIMER_FIELDS) | {"state"}))


def _text(value, field: str, *, required: bool = True, min_len: int = 1, max_len: int = MAX_TEXT) -> str:
    return clean_text(value, field=field, max_length=max_len, min_length=min_len, required=required)


def _amount(value, field: str, *, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise invalid(field, "请填写金额 (an amount is required)", code="required")
        return None
    if isinstance(value, bool):
        raise invalid(field, "金额应为数字 (must be a number)")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(field, "金额应为数字 (must be a number)") from None
    if not amount.is_finite():
        raise invalid(field, "金额应为数字 (must be a number)")
    if amount < 0:
        raise invalid(field, "金额不能为负 (cannot be negative)")
    if amount > MAX_AMOUNT:
        raise invalid(field, "金额过大，请核对 (more than 10,000,000 yuan: please check)")
    if amount != amount.quantize(Decimal("0.01")):
        raise invalid(field, "金额最多两位小数 (at most two decimal places, i.e. fen)")
    return amount.quantize(Decimal("0.01"))


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise invalid(field, f"无效的选项 {value!r} (must be one of: {', '.join(choices.values)})")
    return value


def _date(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise invalid(field, "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)") from None
    if not isinstance(value, dt.date):
        raise invalid(field, "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)")
    if value > clock.local_date():
        raise invalid(field, "日期不能晚于今天 (cannot be in the future)")
    if value < EARLIEST_PURCHASE:
        raise invalid(field, "日期过早，请核对 (before 2000: please check)")
    return value


# --------------------------------------------------------------------------- intake and routing


def _matter_key(business: Business | None, business_name: str, order_ref: str, problem_type: str) -> str:
    who = f"b{business.pk}" if business else "n" + re.sub(r"\s+", "", business_name).lower()
    what = f"ref:{order_ref.strip().lower()}" if order_ref.strip() else f"type:{problem_type}"
    return f"{who}|{what}"[:200]


def _refuse_open_duplicate(consumer_id: int, matter_key: str, *, exclude_pk: int | None = None) -> None:
    """One open complaint per consumer and matter (also a database constraint)."""
    qs = Complaint.objects.filter(consumer_id=consumer_id, matter_key=matter_key, state__in=OPEN_STATES)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    existing = qs.only("number").first()
    if existing is not None:
        raise Conflict(
            f"您已就同一事项有一件进行中的投诉 {existing.number}，请在原投诉中继续 "
            f"(there is already an open complaint on this matter: {existing.number})",
            code="duplicate", fields={"number": existing.number},
        )


def _deliver(complaint: Complaint, policy: Policy, now: dt.datetime) -> None:
    complaint.delivered_at = now
    complaint.respond_by = rules.respond_by(now, policy)
    complaint.settle_by = rules.settle_by(now, policy)
    complaint.auto_urge_level = 0
    _refresh_timers(complaint, policy)  # the state must already be delivered


def _request_hash(**fields) -> str:
    """sha256 of a canonical JSON of the normalised filing (amounts as fixed
    decimals, dates as ISO): "38", 38 and "38.00" are the same request."""
    canonical = json.dumps({k: (str(v) if isinstance(v, Decimal | dt.date) else v) for k, v in fields.items()},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(existing: Complaint, request_hash: str) -> Complaint:
    """The order a repeated filing with the same Idempotency-Key stands for."""
    if existing.request_hash != request_hash:
        raise Conflict(
            f"此幂等键已用于另一份内容不同的投诉 {existing.number}，请换一个键 "
            f"(this Idempotency-Key was already used for complaint {existing.number} with a different body; "
            f"use a new key for a new complaint)",
            code="idempotency_mismatch", fields={"idempotency_key": "used with a different body"},
        )
    existing.idempotent_replay = True
    return existing


def _refuse_flood(consumer_id: int, now: dt.datetime) -> None:
    """At most FILING_LIMIT filings per consumer in FILING_WINDOW (rolling)."""
    times = list(
        Complaint.objects.filter(consumer_id=consumer_id, created_at__gt=now - FILING_WINDOW)
        .order_by("-created_at").values_list("created_at", flat=True)[:FILING_LIMIT]
    )
    if len(times) < FILING_LIMIT:
        return
    wait = max(1, math.ceil((times[-1] + FILING_WINDOW - now).total_seconds()))
    hours = int(FILING_WINDOW.total_seconds() // 3600)
    raise RateLimited(
        f"投诉提交过于频繁：每{hours}小时最多{FILING_LIMIT}件，请{wait}秒后再试 "
        f"(too many complaints: at most {FILING_LIMIT} per {hours} h; try again in {wait} s)",
        retry_after=wait,
    )


def complaint_submit(
    *, consumer, problem_type: str, description: str, claim_type: str, business_id: int | None = None,
    business_name: str = "", store_id: int | None = None, region_code: str | None = None,
    claim_amount=None, purchase_amount=None, purchase_date=None, order_ref: str = "",
    idempotency_key: str | None = None,
) -> Complaint:
    """File a complaint. Delivered straight to an active business (the clock
    starts); otherwise queued for the council of the region.

    With ``idempotency_key``, a repeat of the same filing (same key, same
    normalised fields) returns the order the first one made, marked with
    ``idempotent_replay = True``, instead of a second order; the same key with
    different fields raises Conflict ``idempotency_mismatch``. A consumer may
    file at most FILING_LIMIT complaints per FILING_WINDOW (RateLimited)."""
    if not access.may_file_complaints(consumer):
        raise NotAllowed("只有消费者可以投诉 (only consumers can file complaints)")
    idempotency_key = _text(idempotency_key, "idempotency_key", required=False, max_len=IDEMPOTENCY_KEY_MAX) or None
    problem_type = _choice(problem_type, Complaint.ProblemType, "problem_type")
    claim_type = _choice(claim_type, Complaint.ClaimType, "claim_type")
    description = _text(description, "description", min_len=DESCRIPTION_MIN)
    claim = _amount(claim_amount, "claim_amount", required=claim_type in AMOUNT_CLAIMS)
    purchase = _amount(purchase_amount, "purchase_amount")
    purchase_date = _date(purchase_date, "purchase_date")
    order_ref = _text(order_ref, "order_ref", required=False, max_len=64)
    business_name = _text(business_name, "business_name", required=False, max_len=120)

    business = store = region = None
    review_reason = ""
    if business_id not in (None, ""):
        try:
            business = Business.objects.select_related("region").get(pk=int(business_id))
        except (Business.DoesNotExist, ValueError, TypeError):
            raise invalid("business_id", "商户不存在 (no such business)") from None
        if not business.is_active:
            review_reason = f"business_{business.status}"
    elif business_name:
        review_reason = "not_on_platform"
    else:
        raise invalid("business_id", "请选择商户，或填写商户名称 (choose a business or give its name)", code="required")
    if store_id not in (None, ""):
        if business is None:
            raise invalid("store_id", "门店须属于所选商户 (the store must belong to the chosen business)")
        try:
            store = Store.objects.select_related("region").get(pk=int(store_id), business=business, is_active=True)
        except (Store.DoesNotExist, ValueError, TypeError):
            raise invalid("store_id", "该商户没有这个门店 (no such store for this business)") from None
    if store is not None:
        region = store.region
    elif business is not None:
        region = business.region
    else:
        region = region_get(region_code, field="region_code")

    matter_key = _matter_key(business, business_name, order_ref, problem_type)
    request_hash = _request_hash(
        business_id=business.pk if business else None, business_name=business_name,
        store_id=store.pk if store else None, region_code=(region_code or "").strip() or None,
        problem_type=problem_type, description=description, claim_type=claim_type, claim_amount=claim,
        purchase_amount=purchase, purchase_date=purchase_date, order_ref=order_ref,
    )
    policy = rules.get_policy()
    # The order number is drawn in its own short transaction before the filing's:
    # the per-province daily counter row is then locked for microseconds, not for
    # the whole filing (numbers are unique, not gapless: a refused filing skips one).
    number = next_number(region.l1)
    with transaction.atomic(), events.unit() as batch:
        batch.policy = policy
        # One filing at a time per consumer: the replay check and the flood
        # limit below hold under concurrent requests (PostgreSQL row lock;
        # SQLite's IMMEDIATE transactions already serialise writers).
        list(type(consumer).objects.select_for_update().filter(pk=consumer.pk).values_list("pk", flat=True))
        now = clock.now()
        if idempotency_key is not None:
            existing = Complaint.objects.filter(consumer_id=consumer.pk, idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replay(existing, request_hash)
        _refuse_flood(consumer.pk, now)
        _refuse_open_duplicate(consumer.pk, matter_key)
        complaint = Complaint(
            number=number, consumer=consumer, business=business, store=store,
            business_name_given=business_name if business is None else "", region=region, **region.codes(),
            problem_type=problem_type, description=description, claim_type=claim_type, claim_amount=claim,
            purchase_amount=purchase, purchase_date=purchase_date, order_ref=order_ref, matter_key=matter_key,
            review_reason=review_reason, created_at=now, state="", idempotency_key=idempotency_key,
            request_hash=request_hash if idempotency_key else "",
        )
        action = "queue" if review_reason else "deliver"
        rule = check(action, NEW, Side.CONSUMER)
        complaint.state = rule.to
        if action == "deliver":
            _deliver(complaint, policy, now)
        try:
            with transaction.atomic():
                complaint.save()
        except IntegrityError:
            if idempotency_key is not None:  # lost a race with the same filing: answer with its order
                existing = Complaint.objects.filter(consumer_id=consumer.pk, idempotency_key=idempotency_key).first()
                if existing is not None:
                    return _replay(existing, request_hash)
            raise Conflict("您已就同一事项提交过投诉 (you already have an open complaint on this matter)",
                           code="duplicate") from None
        events.watch(complaint, new=True)
        _event(complaint, EventType.SUBMITTED, actor=consumer, side=Side.CONSUMER, now=now, state_from=NEW,
               payload={"routed": action, "review_reason": review_reason})
    return complaint


def complaint_forward(*, actor, complaint, business_id: int | None = None, external: str = "",
                      note: str = "") -> Complaint:
    """Council: send a queued order on — to a business now active on the
    platform (delivered: the clock starts), or to another body (e.g. 12315)."""
    note = _text(note, "note", required=False, max_len=1000)
    if business_id not in (None, ""):
        try:
            business = Business.objects.get(pk=int(business_id))
        except (Business.DoesNotExist, ValueError, TypeError):
            raise invalid("business_id", "商户不存在 (no such business)") from None
        with _acting(actor, complaint, "forward") as (complaint, side, policy, now):
            if not business.is_active:
                raise invalid("business_id", "该商户尚未入驻或已暂停 (that business is not active on the platform)")
            complaint.business = business
            complaint.business_name_given = ""
            complaint.matter_key = _matter_key(business, "", complaint.order_ref, complaint.problem_type)
            _refuse_open_duplicate(complaint.consumer_id, complaint.matter_key, exclude_pk=complaint.pk)
            _move(complaint, "forward", actor=actor, side=side, now=now,
                  payload={"business_id": business.pk, "note": note})
            _deliver(complaint, policy, now)
            _save(complaint, "business", "business_name_given", "matter_key", "delivered_at", "respond_by",
                  "settle_by")
        return complaint
    external = _text(external, "external", max_len=120)
    with _acting(actor, complaint, "forward_external") as (complaint, side, policy, now):
        complaint.forwarded_to = external
        complaint.closing_reason = note or f"已转交{external} (forwarded to {external})"
        complaint.outcome_at = now
        _move(complaint, "forward_external", actor=actor, side=side, now=now, payload={"to": external, "note": note})
        _save(complaint, "forwarded_to", "closing_reason", "outcome_at")
    return complaint


def complaint_reject(*, actor, complaint, reason: str) -> Complaint:
    """Council: refuse a queued order, with a reason the consumer reads."""
    reason = _text(reason, "reason", min_len=2, max_len=1000)
    with _acting(actor, complaint, "reject") as (complaint, side, policy, now):
        complaint.closing_reason = reason
        complaint.outcome_at = now
        _move(complaint, "reject", actor=actor, side=side, now=now, payload={"reason": reason})
        _save(complaint, "closing_reason", "outcome_at")
    return complaint


# --------------------------------------------------------------------------- negotiation


def _first_response(complaint: Complaint, *, actor, side: str, now: dt.datetime) -> None:
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    if complaint.state == State.DELIVERED:
        _move(complaint, "respond", actor=actor, side=side, now=now)


def _cited_clause(complaint: Complaint, clause_id):
    """The service-standard clause cited, checked against the order's business
    (``hejie.standards.selectors.clause_citable``); None when none is cited."""
    if clause_id in (None, ""):
        return None
    return clause_citable(business=complaint.business, clause_id=clause_id)


def _clause_payload(clause) -> dict:
    if clause is None:
        return {}
    return {"clause": {"id": clause.pk, "number": clause.number, "version": clause.version.version,
                       "standard_id": clause.version.standard_id}}


def message_post(*, actor, complaint, body: str, evidence_id: int | None = None,
                 clause_id: int | None = None) -> Message:
    body = _text(body, "body", max_len=MAX_TEXT)
    with _acting(actor, complaint, "message") as (complaint, side, policy, now):
        evidence = None
        if evidence_id not in (None, ""):
            evidence = complaint.evidence.filter(pk=evidence_id).first()
            if evidence is None:
                raise invalid("evidence_id", "附件不存在 (no such attachment on this complaint)")
        clause = _cited_clause(complaint, clause_id)
        if side == Side.BUSINESS:
            _first_response(complaint, actor=actor, side=side, now=now)
        message = Message.objects.create(complaint=complaint, author=actor, side=side, body=body,
                                         evidence=evidence, clause=clause, created_at=now)
        _event(complaint, EventType.MESSAGE, actor=actor, side=side, now=now,
               payload={"message_id": message.pk, **_clause_payload(clause)}, context={"message": message})
        _refresh_timers(complaint, policy)
        _save(complaint, "first_response_at")
    return message


def proposal_make(*, actor, complaint, terms: str, amount=None, clause_id: int | None = None) -> Proposal:
    """Business: a settlement offer (和解方案). Replaces any offer still pending;
    the consumer has ``consumer_silence_days`` to answer it."""
    terms = _text(terms, "terms", min_len=2, max_len=MAX_TEXT)
    amount = _amount(amount, "amount")
    with _acting(actor, complaint, "propose") as (complaint, side, policy, now):
        clause = _cited_clause(complaint, clause_id)
        complaint.proposals.filter(status=Proposal.Status.PENDING).update(
            status=Proposal.Status.SUPERSEDED, decided_at=now
        )
        _first_response(complaint, actor=actor, side=side, now=now)
        proposal = Proposal.objects.create(
            complaint=complaint, author=actor, side=side, terms=terms, amount=amount, clause=clause, created_at=now,
            reply_by=rules.consumer_reply_by(now, policy),
        )
        complaint.consumer_reminder_level = 0
        _event(complaint, EventType.PROPOSAL, actor=actor, side=side, now=now,
               payload={"proposal_id": proposal.pk, "terms": terms, "amount": str(amount) if amount else None,
                        **_clause_payload(clause)}, context={"proposal": proposal})
        _refresh_timers(complaint, policy, pending=proposal)
        _save(complaint, "first_response_at")
    return proposal


def _proposal_for_consumer(complaint: Complaint, proposal_id) -> Proposal:
    try:
        proposal = complaint.proposals.select_for_update().get(pk=int(proposal_id), side=Side.BUSINESS)
    except (Proposal.DoesNotExist, ValueError, TypeError):
        raise NotFound("方案不存在 (no such proposal)") from None
    if proposal.status != Proposal.Status.PENDING:
        raise Conflict(
            f"该方案已{proposal.get_status_display()}，不能再回复 (this proposal is {proposal.status})",
            code="proposal_closed",
        )
    return proposal


SCORE_FIELDS = ("stars", "credit_points", "scored_at")


def _score(complaint: Complaint, score: rules.Score, now: dt.datetime) -> None:
    """Set the case's score (saved with the transition: one UPDATE of the row)."""
    complaint.stars = score.stars
    complaint.credit_points = score.points
    complaint.scored_at = now


def proposal_accept(*, actor, complaint, proposal_id) -> Complaint:
    """Consumer: accept the business's offer. The only way a case settles."""
    with _acting(actor, complaint, "accept") as (complaint, side, policy, now):
        proposal = _proposal_for_consumer(complaint, proposal_id)
        proposal.status = Proposal.Status.ACCEPTED
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decided_at"])
        complaint.settled_at = complaint.outcome_at = now
        score = rules.score_for(now - complaint.delivered_at, policy)
        _move(complaint, "accept", actor=actor, side=side, now=now,
              payload={"proposal_id": proposal.pk, "stars": score.stars, "credit_points": score.points,
                       "hours_to_settle": round((now - complaint.delivered_at).total_seconds() / 3600, 2)})
        _refresh_timers(complaint, policy)
        _score(complaint, score, now)
        _save(complaint, "settled_at", "outcome_at", *SCORE_FIELDS)
    return complaint


def proposal_reject(*, actor, complaint, proposal_id, reason: str = "", counter_terms: str = "",
                    counter_amount=None, counter_clause_id: int | None = None) -> Proposal:
    """Consumer: reject the offer, optionally with a counter-offer for the
    business to answer with a new proposal; the counter-offer may rest on a
    service-standard clause (``counter_clause_id``, checked as in ``proposal_make``)."""
    reason = _text(reason, "reason", required=False, max_len=1000)
    counter_terms = _text(counter_terms, "counter_terms", required=False, max_len=MAX_TEXT)
    counter_amount = _amount(counter_amount, "counter_amount")
    if (counter_amount is not None or counter_clause_id not in (None, "")) and not counter_terms:
        raise invalid("counter_terms", "还价请写明条件 (say what you would accept)", code="required")
    with _acting(actor, complaint, "reject_proposal") as (complaint, side, policy, now):
        proposal = _proposal_for_consumer(complaint, proposal_id)
        counter_clause = _cited_clause(complaint, counter_clause_id)
        proposal.status = Proposal.Status.REJECTED
        proposal.reject_reason = reason
        proposal.decided_at = now
        proposal.save(update_fields=["status", "reject_reason", "decided_at"])
        counter = None
        if counter_terms:
            counter = Proposal.objects.create(
                complaint=complaint, author=actor, side=side, terms=counter_terms, amount=counter_amount,
                status=Proposal.Status.COUNTER, clause=counter_clause, created_at=now,
            )
        _event(complaint, EventType.PROPOSAL_REJECTED, actor=actor, side=side, now=now,
               payload={"proposal_id": proposal.pk, "reason": reason,
                        "counter_id": counter.pk if counter else None, **_clause_payload(counter_clause)},
               context={"counter": counter})
        _refresh_timers(complaint, policy)
        _save(complaint)
    return counter or proposal


def _fail(complaint: Complaint, action: str, *, actor, side: str, now: dt.datetime, policy: Policy,
          reason: str) -> None:
    if complaint.state == State.NEGOTIATING:  # only a negotiation can have an offer pending
        complaint.proposals.filter(status=Proposal.Status.PENDING).update(
            status=Proposal.Status.LAPSED, decided_at=now)
    complaint.outcome_at = now
    complaint.closing_reason = reason
    _move(complaint, action, actor=actor, side=side, now=now,
          payload={"reason": reason, "took_up": complaint.first_response_at is not None})
    _refresh_timers(complaint, policy)
    _score(complaint, rules.FAILED_SCORE, now)
    _save(complaint, "outcome_at", "closing_reason", *SCORE_FIELDS)


def complaint_refuse(*, actor, complaint, reason: str) -> Complaint:
    """Business: decline to settle. Ends the reconciliation as a failed case."""
    reason = _text(reason, "reason", min_len=2, max_len=1000)
    with _acting(actor, complaint, "refuse") as (complaint, side, policy, now):
        if complaint.first_response_at is None:
            complaint.first_response_at = now
            complaint.save(update_fields=["first_response_at"])
        _fail(complaint, "refuse", actor=actor, side=side, now=now, policy=policy,
              reason=f"经营者拒绝和解：{reason}")
    return complaint


def complaint_withdraw(*, actor, complaint, reason: str = "") -> Complaint:
    reason = _text(reason, "reason", required=False, max_len=1000)
    with _acting(actor, complaint, "withdraw") as (complaint, side, policy, now):
        complaint.proposals.filter(status=Proposal.Status.PENDING).update(status=Proposal.Status.LAPSED, decided_at=now)
        complaint.outcome_at = now
        complaint.closing_reason = reason
        _move(complaint, "withdraw", actor=actor, side=side, now=now, payload={"reason": reason})
        _refresh_timers(complaint, policy)
        _save(complaint, "outcome_at", "closing_reason")
    return complaint


# --------------------------------------------------------------------------- urging


def complaint_urge(*, actor, complaint, note: str = "") -> Urge:
    """Council: urge the business (催办). Recorded; the business must acknowledge."""
    note = _text(note, "note", required=False, max_len=1000)
    with _acting(actor, complaint, "urge") as (complaint, side, policy, now):
        urge = Urge.objects.create(complaint=complaint, kind=Urge.Kind.MANUAL, reason="manual", note=note,
                                   created_by=actor, created_at=now)
        _event(complaint, EventType.URGE, actor=actor, side=side, now=now, payload={"urge_id": urge.pk, "note": note},
               context={"urge": urge})
    return urge


def urge_acknowledge(*, actor, urge_id) -> Urge:
    try:
        urge = Urge.objects.get(pk=int(urge_id))
    except (Urge.DoesNotExist, ValueError, TypeError):
        raise NotFound("催办不存在 (no such urge)") from None
    with _acting(actor, urge.complaint_id, "acknowledge_urge") as (complaint, side, policy, now):
        urge = Urge.objects.select_for_update().get(pk=urge.pk)
        if urge.acknowledged_at is not None:
            raise Conflict("该催办已确认 (already acknowledged)", code="already_acknowledged")
        urge.acknowledged_at = now
        urge.acknowledged_by = actor
        urge.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _event(complaint, EventType.URGE_ACKNOWLEDGED, actor=actor, side=side, now=now, payload={"urge_id": urge.pk})
    return urge


# --------------------------------------------------------------------------- mediation


def mediation_request(*, actor, complaint, reason: str = "") -> Mediation:
    """Consumer asks the council to mediate after a failure (within the
    policy's window) or after a settlement that was not fulfilled; council
    staff may also take a failed case into mediation themselves."""
    reason = _text(reason, "reason", required=False, max_len=MAX_TEXT)
    with _acting(actor, complaint, "request_mediation") as (complaint, side, policy, now):
        if complaint.state == State.SETTLED and complaint.fulfilment != Complaint.Fulfilment.NOT_FULFILLED:
            raise Conflict("和解已成功；只有未履行时才能申请调解 (only an unfulfilled settlement can go to mediation)",
                           code="wrong_state")
        if complaint.state == State.FAILED and side == Side.CONSUMER:
            limit = complaint.outcome_at + dt.timedelta(days=policy.mediation_request_days)
            if now > limit:
                raise Conflict(f"已超过申请调解期限（和解终止后{policy.mediation_request_days}天）"
                               f"(the {policy.mediation_request_days}-day window to ask for mediation has passed)",
                               code="too_late")
        _refuse_open_duplicate(complaint.consumer_id, complaint.matter_key, exclude_pk=complaint.pk)
        mediation = Mediation.objects.create(
            complaint=complaint, requested_by=actor, requested_at=now, reason=reason,
            mediator=actor if side == Side.COUNCIL else None,
        )
        _move(complaint, "request_mediation", actor=actor, side=side, now=now,
              payload={"mediation_id": mediation.pk, "reason": reason})
        _save(complaint)
    return mediation


def mediation_record_outcome(*, actor, complaint, outcome: str, terms: str = "", amount=None) -> Mediation:
    """Council: record how the mediation ended (settled with terms, or failed)."""
    if outcome not in ("settled", "failed"):
        raise invalid("outcome", "结果应为 settled 或 failed (outcome must be settled or failed)")
    terms = _text(terms, "terms", required=outcome == "settled", max_len=MAX_TEXT)
    amount = _amount(amount, "amount")
    action = "mediation_settle" if outcome == "settled" else "mediation_fail"
    with _acting(actor, complaint, action) as (complaint, side, policy, now):
        mediation = complaint.mediations.select_for_update().filter(outcome="").first()
        if mediation is None:  # pragma: no cover - state mediating always has one
            raise Conflict("没有进行中的调解 (no mediation in progress)")
        mediation.outcome = outcome
        mediation.terms = terms
        mediation.amount = amount
        mediation.decided_at = now
        mediation.mediator = mediation.mediator or actor
        mediation.save(update_fields=["outcome", "terms", "amount", "decided_at", "mediator"])
        complaint.outcome_at = now
        if outcome == "settled":
            complaint.fulfilment = ""
        _move(complaint, action, actor=actor, side=side, now=now,
              payload={"mediation_id": mediation.pk, "terms": terms, "amount": str(amount) if amount else None})
        _save(complaint, "outcome_at", "fulfilment")
    return mediation


# --------------------------------------------------------------------------- after the outcome


def fulfilment_mark(*, actor, complaint) -> Complaint:
    """Business: we have done what was agreed."""
    with _acting(actor, complaint, "mark_fulfilled") as (complaint, side, policy, now):
        if complaint.fulfilment == Complaint.Fulfilment.CONFIRMED:
            raise Conflict("消费者已确认履行 (the consumer already confirmed fulfilment)", code="already_confirmed")
        complaint.fulfilment = Complaint.Fulfilment.CLAIMED
        complaint.save(update_fields=["fulfilment"])
        _event(complaint, EventType.FULFILMENT_CLAIMED, actor=actor, side=side, now=now)
    return complaint


def fulfilment_confirm(*, actor, complaint, fulfilled: bool, note: str = "") -> Complaint:
    """Consumer: the settlement was carried out (or was not)."""
    if not isinstance(fulfilled, bool):
        raise invalid("fulfilled", "请选择已履行或未履行 (fulfilled must be true or false)")
    note = _text(note, "note", required=False, max_len=1000)
    with _acting(actor, complaint, "confirm_fulfilment") as (complaint, side, policy, now):
        if complaint.fulfilment == Complaint.Fulfilment.CONFIRMED:
            raise Conflict("已确认履行 (fulfilment already confirmed)", code="already_confirmed")
        complaint.fulfilment = Complaint.Fulfilment.CONFIRMED if fulfilled else Complaint.Fulfilment.NOT_FULFILLED
        complaint.save(update_fields=["fulfilment"])
        _event(complaint, EventType.FULFILMENT_CONFIRMED if fulfilled else EventType.FULFILMENT_DISPUTED,
               actor=actor, side=side, now=now, payload={"note": note})
    return complaint


def complaint_rate(*, actor, complaint, satisfaction, comment: str = "") -> Complaint:
    """Consumer: satisfaction 1-5 with a comment, once per order."""
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int | str):
        raise invalid("satisfaction", "满意度应为1到5 (satisfaction must be 1 to 5)")
    try:
        satisfaction = int(satisfaction)
    except ValueError:
        raise invalid("satisfaction", "满意度应为1到5 (satisfaction must be 1 to 5)") from None
    if not 1 <= satisfaction <= 5:
        raise invalid("satisfaction", "满意度应为1到5 (satisfaction must be 1 to 5)")
    comment = _text(comment, "comment", required=False, max_len=1000)
    with _acting(actor, complaint, "rate") as (complaint, side, policy, now):
        if complaint.rated_at is not None:
            raise Conflict("您已评价过 (already rated)", code="already_rated")
        complaint.satisfaction = satisfaction
        complaint.satisfaction_comment = comment
        complaint.rated_at = now
        complaint.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at"])
        _event(complaint, EventType.RATED, actor=actor, side=side, now=now,
               payload={"satisfaction": satisfaction, "comment": comment})
    return complaint


# --------------------------------------------------------------------------- the platform's own moves


def _process_due(complaint: Complaint, policy: Policy, now: dt.datetime) -> list[str]:
    """Apply whatever is due on a locked order as of ``now``. Idempotent: the
    stored timers move past ``now`` (or are cleared), so a second call does
    nothing. Returns what it did."""
    events.watch(complaint)  # the sweep hands its orders here without _lock
    done: list[str] = []
    if complaint.state not in RECONCILING:
        if complaint.next_deadline_at is not None:
            _refresh_timers(complaint, policy)
            _save(complaint)
        return done
    pending = _pending_proposal(complaint) if complaint.state == State.NEGOTIATING else None
    settle_passed = now > complaint.settle_by
    silence_passed = pending is not None and now > pending.reply_by
    if settle_passed and (not silence_passed or complaint.settle_by <= pending.reply_by):
        reason = f"送达后{policy.settle_days}天内未达成和解，平台终止和解 (not settled in {policy.settle_days} days)"
        _fail(complaint, "expire", actor=None, side=Side.SYSTEM, now=now, policy=policy, reason=reason)
        return ["failed"]
    if silence_passed:
        pending.status = Proposal.Status.LAPSED
        pending.decided_at = now
        pending.save(update_fields=["status", "decided_at"])
        complaint.outcome_at = now
        complaint.closing_reason = (
            f"和解方案送达后{policy.consumer_silence_days}天未获消费者回复 "
            f"(the consumer did not answer the offer within {policy.consumer_silence_days} days)"
        )
        _move(complaint, "close_unresponsive", actor=None, side=Side.SYSTEM, now=now,
              payload={"proposal_id": pending.pk})
        _refresh_timers(complaint, policy)
        _save(complaint, "outcome_at", "closing_reason")
        return ["unresponsive"]
    if pending is not None:
        # Reminders to the consumer: send the latest one that is due, once.
        hours = policy.consumer_reminder_hours
        level = complaint.consumer_reminder_level
        due_level = None
        while level < len(hours) and now >= pending.created_at + dt.timedelta(hours=hours[level]):
            due_level = level
            level += 1
        if due_level is not None:
            complaint.consumer_reminder_level = level
            check("remind_consumer", complaint.state, Side.SYSTEM)
            _event(complaint, EventType.CONSUMER_REMINDED, actor=None, side=Side.SYSTEM, now=now,
                   payload={"proposal_id": pending.pk, "level": due_level}, context={"proposal": pending})
            done.append("reminded")
    # Automatic urges: if several levels passed (the sweep was down), send the
    # latest applicable one only.
    urge_spec = None
    level, urge_at = rules.next_auto_urge(complaint, policy)
    while urge_at is not None and now > urge_at:
        urge_spec = policy.auto_urges[level]
        complaint.auto_urge_level = level + 1
        level, urge_at = rules.next_auto_urge(complaint, policy)
    if urge_spec is not None:
        check("urge", complaint.state, Side.SYSTEM)
        reason = urge_spec.get("kind", "unsettled")
        hours = urge_spec["after_hours"]
        note = (f"送达已超过{hours}小时仍未回复，请立即处理 (no response {hours} h after delivery)"
                if reason == "no_response"
                else f"送达已超过{hours // 24}天仍未和解，请尽快处理 (unsettled {hours // 24} days after delivery)")
        urge = Urge.objects.create(complaint=complaint, kind=Urge.Kind.AUTO, reason=reason, note=note, created_at=now)
        _event(complaint, EventType.URGE, actor=None, side=Side.SYSTEM, now=now,
               payload={"urge_id": urge.pk, "auto": True, "reason": reason, "after_hours": hours},
               context={"urge": urge})
        done.append("urged")
    _refresh_timers(complaint, policy, pending=pending)
    _save(complaint)
    return done


def complaint_process_due(*, complaint, now: dt.datetime | None = None) -> list[str]:
    """The sweep's per-order step (also usable by hand): lock, apply what is due."""
    now = now or clock.now()
    with transaction.atomic(), events.unit() as batch:
        locked = _lock(complaint)
        if locked.next_deadline_at is None or locked.next_deadline_at > now:
            return []
        batch.policy = rules.get_policy()
        return _process_due(locked, batch.policy, now)


__all__ = [
    "InvalidInput", "side_of", "complaint_submit", "complaint_forward", "complaint_reject", "message_post",
    "proposal_make", "proposal_accept", "proposal_reject", "complaint_refuse", "complaint_withdraw",
    "complaint_urge", "urge_acknowledge", "mediation_request", "mediation_record_outcome", "fulfilment_mark",
    "fulfilment_confirm", "complaint_rate", "complaint_process_due",
]
