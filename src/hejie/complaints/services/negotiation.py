"""Negotiation between consumer and business, and what follows the outcome: messages,
offers and their answers, the business's refusal, the consumer's withdrawal, urging,
fulfilment and the consumer's rating."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from hejie.accounts.models import User
from hejie.complaints import policy as rules
from hejie.complaints.events import EventType
from hejie.complaints.models import Complaint, Message, Proposal, Urge
from hejie.complaints.services.orders import (
    MAX_TEXT,
    SCORE_FIELDS,
    OrderRef,
    _acting,
    _amount,
    _event,
    _fail,
    _moment,
    _move,
    _refresh_timers,
    _save,
    _score,
    _text,
)
from hejie.complaints.states import Side, State
from hejie.core.errors import Conflict, NotFound, invalid
from hejie.standards.models import StandardClause
from hejie.standards.selectors import clause_citable


def _first_response(complaint: Complaint, *, actor: User, side: str, now: dt.datetime) -> None:
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    if complaint.state == State.DELIVERED:
        _move(complaint, "respond", actor=actor, side=side, now=now)


def _cited_clause(complaint: Complaint, clause_id: int | str | None) -> StandardClause | None:
    """The service-standard clause cited, checked against the order's business
    (``hejie.standards.selectors.clause_citable``); None when none is cited."""
    if clause_id is None or clause_id == "":
        return None
    return clause_citable(business=complaint.business, clause_id=clause_id)


def _clause_payload(clause: StandardClause | None) -> dict[str, Any]:
    if clause is None:
        return {}
    return {"clause": {"id": clause.pk, "number": clause.number, "version": clause.version.version,
                       "standard_id": clause.version.standard_id}}


def message_post(*, actor: User, complaint: OrderRef, body: str, evidence_id: int | str | None = None,
                 clause_id: int | str | None = None) -> Message:
    body = _text(body, "body", max_len=MAX_TEXT)
    with _acting(actor, complaint, "message") as (complaint, side, policy, now):
        evidence = None
        if evidence_id is not None and evidence_id != "":
            evidence = complaint.evidence.filter(pk=evidence_id).first()
            if evidence is None:
                raise invalid("evidence_id", _("附件不存在"))
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


def proposal_make(*, actor: User, complaint: OrderRef, terms: str, amount: object = None,
                  clause_id: int | str | None = None) -> Proposal:
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


def _proposal_for_consumer(complaint: Complaint, proposal_id: int | str) -> Proposal:
    try:
        proposal = complaint.proposals.select_for_update().get(pk=int(proposal_id), side=Side.BUSINESS)
    except (Proposal.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("方案不存在")) from None
    if proposal.status != Proposal.Status.PENDING:
        raise Conflict(
            _("该方案%(status)s，不能再回复") % {"status": proposal.get_status_display()},
            code="proposal_closed",
        )
    return proposal


def proposal_accept(*, actor: User, complaint: OrderRef, proposal_id: int | str) -> Complaint:
    """Consumer: accept the business's offer. The only way a case settles."""
    with _acting(actor, complaint, "accept") as (complaint, side, policy, now):
        proposal = _proposal_for_consumer(complaint, proposal_id)
        proposal.status = Proposal.Status.ACCEPTED
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decided_at"])
        complaint.settled_at = complaint.outcome_at = now
        took = now - _moment(complaint, "delivered_at")
        score = rules.score_for(took, policy)
        _move(complaint, "accept", actor=actor, side=side, now=now,
              payload={"proposal_id": proposal.pk, "stars": score.stars, "credit_points": score.points,
                       "hours_to_settle": round(took.total_seconds() / 3600, 2)})
        _refresh_timers(complaint, policy)
        _score(complaint, score, now)
        _save(complaint, "settled_at", "outcome_at", *SCORE_FIELDS)
    return complaint


def proposal_reject(*, actor: User, complaint: OrderRef, proposal_id: int | str, reason: str = "",
                    counter_terms: str = "", counter_amount: object = None,
                    counter_clause_id: int | str | None = None) -> Proposal:
    """Consumer: reject the offer, optionally with a counter-offer for the
    business to answer with a new proposal; the counter-offer may rest on a
    service-standard clause (``counter_clause_id``, checked as in ``proposal_make``)."""
    reason = _text(reason, "reason", required=False, max_len=1000)
    counter_terms = _text(counter_terms, "counter_terms", required=False, max_len=MAX_TEXT)
    counter_amount = _amount(counter_amount, "counter_amount")
    if (counter_amount is not None or counter_clause_id not in (None, "")) and not counter_terms:
        raise invalid("counter_terms", _("还价请写明条件"), code="required")
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


def complaint_refuse(*, actor: User, complaint: OrderRef, reason: str) -> Complaint:
    """Business: decline to settle. Ends the reconciliation as a failed case."""
    reason = _text(reason, "reason", min_len=2, max_len=1000)
    with _acting(actor, complaint, "refuse") as (complaint, side, policy, now):
        if complaint.first_response_at is None:
            complaint.first_response_at = now
            complaint.save(update_fields=["first_response_at"])
        _fail(complaint, "refuse", actor=actor, side=side, now=now, policy=policy,
              reason=f"经营者拒绝和解：{reason}")
    return complaint


def complaint_withdraw(*, actor: User, complaint: OrderRef, reason: str = "") -> Complaint:
    reason = _text(reason, "reason", required=False, max_len=1000)
    with _acting(actor, complaint, "withdraw") as (complaint, side, policy, now):
        complaint.proposals.filter(status=Proposal.Status.PENDING).update(status=Proposal.Status.LAPSED, decided_at=now)
        complaint.outcome_at = now
        complaint.closing_reason = reason
        _move(complaint, "withdraw", actor=actor, side=side, now=now, payload={"reason": reason})
        _refresh_timers(complaint, policy)
        _save(complaint, "outcome_at", "closing_reason")
    return complaint


def complaint_urge(*, actor: User, complaint: OrderRef, note: str = "") -> Urge:
    """Council: urge the business (催办). Recorded; the business must acknowledge."""
    note = _text(note, "note", required=False, max_len=1000)
    with _acting(actor, complaint, "urge") as (complaint, side, policy, now):
        urge = Urge.objects.create(complaint=complaint, kind=Urge.Kind.MANUAL, reason="manual", note=note,
                                   created_by=actor, created_at=now)
        _event(complaint, EventType.URGE, actor=actor, side=side, now=now, payload={"urge_id": urge.pk, "note": note},
               context={"urge": urge})
    return urge


def urge_acknowledge(*, actor: User, urge_id: int | str) -> Urge:
    try:
        urge = Urge.objects.get(pk=int(urge_id))
    except (Urge.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("催办不存在")) from None
    with _acting(actor, urge.complaint_id, "acknowledge_urge") as (complaint, side, policy, now):
        urge = Urge.objects.select_for_update().get(pk=urge.pk)
        if urge.acknowledged_at is not None:
            raise Conflict(_("该催办已确认"), code="already_acknowledged")
        urge.acknowledged_at = now
        urge.acknowledged_by = actor
        urge.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _event(complaint, EventType.URGE_ACKNOWLEDGED, actor=actor, side=side, now=now, payload={"urge_id": urge.pk})
    return urge


def fulfilment_mark(*, actor: User, complaint: OrderRef) -> Complaint:
    """Business: we have done what was agreed."""
    with _acting(actor, complaint, "mark_fulfilled") as (complaint, side, policy, now):
        if complaint.fulfilment == Complaint.Fulfilment.CONFIRMED:
            raise Conflict(_("消费者已确认履行"), code="already_confirmed")
        complaint.fulfilment = Complaint.Fulfilment.CLAIMED
        complaint.save(update_fields=["fulfilment"])
        _event(complaint, EventType.FULFILMENT_CLAIMED, actor=actor, side=side, now=now)
    return complaint


def fulfilment_confirm(*, actor: User, complaint: OrderRef, fulfilled: bool, note: str = "") -> Complaint:
    """Consumer: the settlement was carried out (or was not)."""
    if not isinstance(fulfilled, bool):
        raise invalid("fulfilled", _("请选择已履行或未履行"))
    note = _text(note, "note", required=False, max_len=1000)
    with _acting(actor, complaint, "confirm_fulfilment") as (complaint, side, policy, now):
        if complaint.fulfilment == Complaint.Fulfilment.CONFIRMED:
            raise Conflict(_("已确认履行"), code="already_confirmed")
        complaint.fulfilment = Complaint.Fulfilment.CONFIRMED if fulfilled else Complaint.Fulfilment.NOT_FULFILLED
        complaint.save(update_fields=["fulfilment"])
        _event(complaint, EventType.FULFILMENT_CONFIRMED if fulfilled else EventType.FULFILMENT_DISPUTED,
               actor=actor, side=side, now=now, payload={"note": note})
    return complaint


def complaint_rate(*, actor: User, complaint: OrderRef, satisfaction: object, comment: str = "") -> Complaint:
    """Consumer: satisfaction 1-5 with a comment, once per order."""
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int | str):
        raise invalid("satisfaction", _("满意度应为1到5"))
    try:
        satisfaction = int(satisfaction)
    except ValueError:
        raise invalid("satisfaction", _("满意度应为1到5")) from None
    if not 1 <= satisfaction <= 5:
        raise invalid("satisfaction", _("满意度应为1到5"))
    comment = _text(comment, "comment", required=False, max_len=1000)
    with _acting(actor, complaint, "rate") as (complaint, side, policy, now):
        if complaint.rated_at is not None:
            raise Conflict(_("您已评价过"), code="already_rated")
        complaint.satisfaction = satisfaction
        complaint.satisfaction_comment = comment
        complaint.rated_at = now
        complaint.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at"])
        _event(complaint, EventType.RATED, actor=actor, side=side, now=now,
               payload={"satisfaction": satisfaction, "comment": comment})
    return complaint
