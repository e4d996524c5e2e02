"""The order machinery every service shares, and the platform's own moves.

Each service: lock the order row (``_lock``, which also watches it for the unit of
work), work out which side the actor plays on it (``side_of``, from
``hejie.accounts.access``), check the action against the one transition table
(``states.check``), act, append an event to the timeline (``_event`` / ``_move``),
recompute the stored deadlines (``_refresh_timers``), all in one transaction and one
unit of work (``_acting``). A person acting on an order whose deadline has already
passed meets the same outcome the sweep would have produced: overdue deadlines are
applied first (``_catch_up``, in their own transaction, so they stick), then the action
is checked against the new state. ``_process_due`` is that catching up, and the sweep's
per-order step.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext as _

from hejie.accounts import access, privacy
from hejie.accounts.models import User
from hejie.audit.services import Action, audit_record
from hejie.complaints import events
from hejie.complaints import policy as rules
from hejie.complaints.events import EventType
from hejie.complaints.models import Complaint, ComplaintEvent, Policy, Proposal, Urge
from hejie.complaints.states import NEW, RECONCILING, Side, State, check
from hejie.core import clock
from hejie.core.errors import NotFound, invalid
from hejie.core.validation import clean_text

# A deadline passes strictly after its moment: at exactly 14 days the case is
# still "within 14 days"; one microsecond later it is not.
JUST_AFTER = dt.timedelta(microseconds=1)


MAX_AMOUNT = Decimal("10000000")  # ten million yuan: beyond this an amount is a typo, not a claim


MAX_TEXT = 5000
EARLIEST_PURCHASE = dt.date(2000, 1, 1)


# An order as a caller names it: the row, or its id (from a URL or a JSON body).
OrderRef = Complaint | int | str

_SIDE_OF_ROLE = {access.Role.CONSUMER: Side.CONSUMER, access.Role.BUSINESS: Side.BUSINESS,
                 access.Role.COUNCIL: Side.COUNCIL}


def side_of(user: access.Viewer, complaint: Complaint) -> str | None:
    """The side ``user`` plays on ``complaint`` (``access.order_role``), or None if it is not theirs to see."""
    role = access.order_role(user, complaint)
    return None if role is None else _SIDE_OF_ROLE.get(role)


def _lock(complaint_or_id: OrderRef) -> Complaint:
    pk = complaint_or_id.pk if isinstance(complaint_or_id, Complaint) else complaint_or_id
    try:
        complaint = Complaint.objects.select_for_update(of=("self",)).select_related("business").get(pk=pk)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("投诉不存在")) from None
    events.watch(complaint)
    return complaint


def _open_for(actor: access.Viewer, complaint_or_id: OrderRef, action: str
              ) -> tuple[Complaint, str, Policy, dt.datetime]:
    """Apply overdue deadlines, then lock the order and check ``actor`` may take ``action``.

    Must be called inside a transaction."""
    pk = complaint_or_id.pk if isinstance(complaint_or_id, Complaint) else complaint_or_id
    now = clock.now()
    complaint = _lock(pk)
    side = side_of(actor, complaint)
    if side is None:
        # Not yours: answer as if it did not exist (no probing of numbers).
        raise NotFound(_("投诉不存在"))
    policy = rules.get_policy()
    events.current().policy = policy
    if complaint.next_deadline_at is not None and complaint.next_deadline_at <= now:
        _process_due(complaint, policy, now)
    check(action, complaint.state, side)
    return complaint, side, policy, now


def _catch_up(complaint_or_id: OrderRef) -> None:
    """Apply an order's overdue deadlines in a transaction of their own, so
    they stand even when the action that follows is refused."""
    pk = complaint_or_id.pk if isinstance(complaint_or_id, Complaint) else complaint_or_id
    now = clock.now()
    due = Complaint.objects.filter(pk=pk, next_deadline_at__lte=now).exists() if isinstance(pk, int) else False
    if due:
        complaint_process_due(complaint=pk, now=now)


@contextlib.contextmanager
def _acting(actor: access.Viewer, complaint_or_id: OrderRef, action: str
            ) -> Iterator[tuple[Complaint, str, Policy, dt.datetime]]:
    """``with _acting(actor, order, "accept") as (order, side, policy, now):`` —
    catch up on deadlines, then one transaction with the order locked and the
    action checked against the transition table: one unit of work, whose events
    the consumers follow when the block ends."""
    _catch_up(complaint_or_id)
    with transaction.atomic(), events.unit():
        yield _open_for(actor, complaint_or_id, action)


def _event(complaint: Complaint, type_: EventType, *, actor: User | None, side: str, now: dt.datetime,
           state_from: str = "", payload: dict[str, Any] | None = None,
           context: dict[str, Any] | None = None) -> ComplaintEvent:
    """Append an event to the timeline and to the open unit of work (``context``: objects
    the consumers may use without reading them again, see ``events.record``)."""
    event = ComplaintEvent.objects.create(
        complaint=complaint, type=type_, actor=actor, side=side, created_at=now,
        state_from=state_from, state_to=complaint.state if state_from else "", payload=payload or {},
    )
    return events.record(event, context=context)


def _move(complaint: Complaint, action: str, *, actor: User | None, side: str, now: dt.datetime,
          payload: dict[str, Any] | None = None, context: dict[str, Any] | None = None) -> None:
    """Take a state-changing action: check, set the state, record the event."""
    rule = check(action, complaint.state if complaint.pk else NEW, side)
    if rule.to is None:
        raise ValueError(f"{action} does not change the state: write its event with _event")
    state_from = complaint.state or NEW
    complaint.state = rule.to
    _event(complaint, EventType(action), actor=actor, side=side, now=now, state_from=state_from, payload=payload,
           context=context)
    if action in REVIEW_DECISIONS and actor is not None:
        audit_record(actor=actor, action=REVIEW_DECISIONS[action], object_type="complaint", object_id=complaint.pk,
                     jurisdiction=complaint.region_id, at=now, detail={"number": complaint.number, **(payload or {})})


def complaint_viewed(*, viewer: access.Viewer, complaint: Complaint) -> bool:
    """An order was shown to ``viewer`` (a page, the API's detail): when it was shown with the
    consumer's personal data unmasked to anyone but the consumer, the audit trail records who saw
    whose data. Returns whether it recorded. Every face that shows an order calls it."""
    viewer_id = getattr(viewer, "pk", None)
    if viewer_id is None or viewer_id == complaint.consumer_id:
        return False
    if getattr(complaint, privacy.REDACTED, False) or not access.may_see_personal_data_on(viewer, complaint):
        return False
    audit_record(actor=viewer, action=Action.ORDER_VIEW_PERSONAL, object_type="complaint", object_id=complaint.pk,
                 jurisdiction=complaint.region_id,
                 detail={"number": complaint.number, "consumer_id": complaint.consumer_id})
    return True


# The council's decisions on its review queue, recorded in the audit trail too.
REVIEW_DECISIONS = {"forward": Action.COMPLAINT_FORWARD, "forward_external": Action.COMPLAINT_FORWARD_EXTERNAL,
                    "reject": Action.COMPLAINT_REJECT}


def _pending_proposal(complaint: Complaint) -> Proposal | None:
    return complaint.proposals.filter(status=Proposal.Status.PENDING).first()


def _moment(row: Complaint | Proposal, field: str) -> dt.datetime:
    """A moment the row's state guarantees is set (an order's delivery, settle-by and outcome
    times; a pending offer's answer-by): a broken row raises a ValueError that names it, not a
    TypeError from arithmetic on None."""
    value = getattr(row, field)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{type(row).__name__} {row.pk} has no {field}")
    return value


def _refresh_timers(complaint: Complaint, policy: Policy, pending: Proposal | None = None) -> None:
    """Recompute the stored deadlines from the state (and the pending offer)."""
    if complaint.state not in RECONCILING:
        complaint.next_urge_at = complaint.consumer_reply_by = complaint.next_deadline_at = None
        return
    level, urge_at = rules.next_auto_urge(complaint, policy)
    complaint.auto_urge_level = level
    complaint.next_urge_at = urge_at
    candidates = [_moment(complaint, "settle_by") + JUST_AFTER]
    if urge_at is not None:
        candidates.append(urge_at + JUST_AFTER)
    if complaint.state == State.NEGOTIATING and pending is None:
        pending = _pending_proposal(complaint)
    if pending is not None:
        complaint.consumer_reply_by = _moment(pending, "reply_by")
        candidates.append(_moment(pending, "reply_by") + JUST_AFTER)
        reminder = rules.next_consumer_reminder(complaint, pending.created_at, policy)
        if reminder is not None:
            candidates.append(reminder)
    else:
        complaint.consumer_reply_by = None
    complaint.next_deadline_at = min(candidates)


TIMER_FIELDS = ("auto_urge_level", "next_urge_at", "consumer_reply_by", "consumer_reminder_level", "next_deadline_at")


def _save(complaint: Complaint, *fields: str) -> None:
    complaint.save(update_fields=sorted(set(fields) | set(TIMER_FIELDS) | {"state"}))


def _text(value: object, field: str, *, required: bool = True, min_len: int = 1, max_len: int = MAX_TEXT) -> str:
    return clean_text(value, field=field, max_length=max_len, min_length=min_len, required=required)


def _amount(value: object, field: str, *, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise invalid(field, _("请填写金额"), code="required")
        return None
    if isinstance(value, bool):
        raise invalid(field, _("金额应为数字"))
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(field, _("金额应为数字")) from None
    if not amount.is_finite():
        raise invalid(field, _("金额应为数字"))
    if amount < 0:
        raise invalid(field, _("金额不能为负"))
    if amount > MAX_AMOUNT:
        raise invalid(field, _("金额过大，请核对"))
    if amount != amount.quantize(Decimal("0.01")):
        raise invalid(field, _("金额最多两位小数"))
    return amount.quantize(Decimal("0.01"))


def _choice(value: object, choices: type[TextChoices], field: str) -> str:
    if not isinstance(value, str) or value not in choices.values:
        raise invalid(field, _("无效的选项 %(value)s") % {"value": repr(value)})
    return value


def _date(value: object, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise invalid(field, _("日期格式应为 YYYY-MM-DD")) from None
    if not isinstance(value, dt.date):
        raise invalid(field, _("日期格式应为 YYYY-MM-DD"))
    if value > clock.local_date():
        raise invalid(field, _("日期不能晚于今天"))
    if value < EARLIEST_PURCHASE:
        raise invalid(field, _("日期过早，请核对"))
    return value


SCORE_FIELDS = ("stars", "credit_points", "scored_at")


def _score(complaint: Complaint, score: rules.Score, now: dt.datetime) -> None:
    """Set the case's score (saved with the transition: one UPDATE of the row)."""
    complaint.stars = score.stars
    complaint.credit_points = score.points
    complaint.scored_at = now


def _fail(complaint: Complaint, action: str, *, actor: User | None, side: str, now: dt.datetime, policy: Policy,
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
    settle_by = _moment(complaint, "settle_by")
    reply_by = None if pending is None else _moment(pending, "reply_by")
    settle_passed = now > settle_by
    silence_passed = reply_by is not None and now > reply_by
    if settle_passed and (reply_by is None or not silence_passed or settle_by <= reply_by):
        reason = f"送达后{policy.settle_days}天内未达成和解，平台终止和解 (not settled in {policy.settle_days} days)"
        _fail(complaint, "expire", actor=None, side=Side.SYSTEM, now=now, policy=policy, reason=reason)
        return ["failed"]
    if pending is not None and silence_passed:
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


def complaint_process_due(*, complaint: OrderRef, now: dt.datetime | None = None) -> list[str]:
    """The sweep's per-order step (also usable by hand): lock, apply what is due."""
    now = now or clock.now()
    with transaction.atomic(), events.unit() as batch:
        locked = _lock(complaint)
        if locked.next_deadline_at is None or locked.next_deadline_at > now:
            return []
        batch.policy = rules.get_policy()
        return _process_due(locked, batch.policy, now)
