"""Mediation by the council after a failure, or after a settlement that was not kept."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hejie.accounts.models import User
from hejie.complaints import policy as rules
from hejie.complaints.events import EventType
from hejie.complaints.models import Complaint, Mediation
from hejie.complaints.services.intake import _refuse_open_duplicate
from hejie.complaints.services.orders import (
    MAX_TEXT,
    OrderRef,
    _acting,
    _amount,
    _event,
    _moment,
    _move,
    _save,
    _text,
)
from hejie.complaints.states import Side, State
from hejie.core.errors import Conflict, invalid
from hejie.workdays import calendar

MEDIATION_ROUTES = gettext_lazy("12315行政投诉、仲裁、向人民法院起诉")


def mediation_request(*, actor: User, complaint: OrderRef, reason: str = "") -> Mediation:
    """Consumer asks the council to mediate after a failure (within the
    policy's window) or after a settlement that was not fulfilled; council
    staff may also take a failed case into mediation themselves."""
    reason = _text(reason, "reason", required=False, max_len=MAX_TEXT)
    with _acting(actor, complaint, "request_mediation") as (complaint, side, policy, now):
        if complaint.state == State.SETTLED and complaint.fulfilment != Complaint.Fulfilment.NOT_FULFILLED:
            raise Conflict(_("和解已成功；只有未履行时才能申请调解"),
                           code="wrong_state")
        if complaint.state == State.FAILED and side == Side.CONSUMER:
            limit = _moment(complaint, "outcome_at") + dt.timedelta(days=policy.mediation_request_days)
            if now > limit:
                days = policy.mediation_request_days
                raise Conflict(ngettext("已超过申请调解期限（和解终止后%(days)d天）",
                                        "已超过申请调解期限（和解终止后%(days)d天）", days) % {"days": days},
                               code="too_late")
        _refuse_open_duplicate(complaint.consumer_id, complaint.matter_key, exclude_pk=complaint.pk)
        mediation = Mediation.objects.create(
            complaint=complaint, requested_by=actor, requested_at=now, reason=reason,
            mediator=actor if side == Side.COUNCIL else None,
            decide_by=rules.mediation_decide_by(now, policy),
        )
        _move(complaint, "request_mediation", actor=actor, side=side, now=now,
              payload={"mediation_id": mediation.pk, "reason": reason})
        _save(complaint)
    return mediation


def mediation_record_outcome(*, actor: User, complaint: OrderRef, outcome: str, terms: str = "",
                             amount: object = None) -> Mediation:
    """Council: record how the mediation ended (settled with terms, or failed)."""
    if outcome not in ("settled", "failed"):
        raise invalid("outcome", _("结果应为 settled 或 failed"))
    terms = _text(terms, "terms", required=outcome == "settled", max_len=MAX_TEXT)
    amount = _amount(amount, "amount")
    action = "mediation_settle" if outcome == "settled" else "mediation_fail"
    with _acting(actor, complaint, action) as (complaint, side, policy, now):
        mediation = complaint.mediations.select_for_update().filter(outcome="").first()
        if mediation is None:  # pragma: no cover - state mediating always has one
            raise Conflict(_("没有进行中的调解"))
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


def _workdays(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise invalid(field, _("请填写工作日数（正整数）"))
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise invalid(field, _("请填写工作日数（正整数）")) from None
    if n < 1:
        raise invalid(field, _("请填写工作日数（正整数）"))
    return n


def mediation_extend(*, actor: User, complaint: OrderRef, workdays: object, reason: str) -> Mediation:
    """Council: extend a mediation's limit once, by a recorded decision: at most the policy's
    ``mediation_extension_max_workdays`` working days after its current deadline, with a reason.
    A second extension is refused."""
    n = _workdays(workdays, "workdays")
    reason = _text(reason, "reason", min_len=2, max_len=1000)
    with _acting(actor, complaint, "mediation_extend") as (complaint, side, policy, now):
        if n > policy.mediation_extension_max_workdays:
            most = policy.mediation_extension_max_workdays
            raise invalid("workdays", ngettext("最多延长%(n)d个工作日", "最多延长%(n)d个工作日", most) % {"n": most})
        mediation = complaint.mediations.select_for_update().filter(outcome="").first()
        if mediation is None:  # pragma: no cover - state mediating always has one
            raise Conflict(_("没有进行中的调解"))
        if mediation.extended_at is not None:
            raise Conflict(_("调解期限只能延长一次"), code="already_extended")
        before = mediation.decide_by or rules.mediation_decide_by(mediation.requested_at, policy)
        mediation.decide_by = calendar.extend(before, n)
        mediation.extended_at, mediation.extended_by = now, actor
        mediation.extension_workdays, mediation.extension_reason = n, reason
        mediation.reminded_at = mediation.urged_at = None  # the new deadline is reminded and urged afresh
        mediation.save(update_fields=["decide_by", "extended_at", "extended_by", "extension_workdays",
                                      "extension_reason", "reminded_at", "urged_at"])
        _event(complaint, EventType.MEDIATION_EXTENDED, actor=actor, side=side, now=now,
               payload={"mediation_id": mediation.pk, "workdays": n, "reason": reason,
                        "decide_by_before": before.isoformat(), "decide_by": mediation.decide_by.isoformat()})
    return mediation
