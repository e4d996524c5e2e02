"""Intake and routing: a consumer files (delivered straight to an active business, or
queued for the council of the region), and the council forwards or rejects what was
queued."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hejie.accounts import access
from hejie.accounts.models import User
from hejie.accounts.services import phone_code_spent
from hejie.businesses import claims
from hejie.businesses.models import Business, Store
from hejie.complaints import events
from hejie.complaints import policy as rules
from hejie.complaints.events import EventType
from hejie.complaints.models import Complaint, Policy
from hejie.complaints.numbering import next_number
from hejie.complaints.services.orders import (
    OrderRef,
    _acting,
    _amount,
    _choice,
    _date,
    _event,
    _move,
    _refresh_timers,
    _save,
    _text,
)
from hejie.complaints.states import AWAITING_CLAIM, NEW, OPEN_STATES, Side, State, check
from hejie.core import clock
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, RateLimited, invalid
from hejie.regions.selectors import region_get

# Filing flood limit: at most this many complaints per consumer in a rolling
# window. A module constant, not a Policy field: it guards the platform
# against abuse rather than setting a rule of the reconciliation.
FILING_LIMIT = 10


FILING_WINDOW = dt.timedelta(hours=1)


IDEMPOTENCY_KEY_MAX = 100


DESCRIPTION_MIN = 10  # what happened, in at least this many characters


# Why an order went to the council's queue instead of to a business, as people read it.
REVIEW_REASON_LABELS = {
    "not_on_platform": gettext_lazy("商家不在平台上"),
    AWAITING_CLAIM: gettext_lazy("商家还没有可登录的账号，已邀请认领"),
    "business_applied": gettext_lazy("商家的入驻申请尚未审核"),
    "business_suspended": gettext_lazy("商家已被暂停"),
    "business_refused": gettext_lazy("商家的入驻申请未通过"),
}


def review_reason_label(reason: str) -> str:
    return str(REVIEW_REASON_LABELS.get(reason, reason))


AMOUNT_CLAIMS = frozenset({"refund", "compensation"})  # claims that must say how much


def _review_reason(business: Business) -> str:
    """Why an order against ``business`` goes to the council's queue, or "" when it is delivered: a
    business nobody can sign in for (an active one without staff, or an invited one) is waited for
    (its clock not started); one applying, suspended or refused is the council's to send on."""
    if business.status == Business.Status.INVITED or (business.is_active and not claims.has_account(business)):
        return AWAITING_CLAIM
    return "" if business.is_active else f"business_{business.status}"


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
            _("您已就同一事项有一件进行中的投诉 %(number)s，请在原投诉中继续") % {"number": existing.number},
            code="duplicate", fields={"number": existing.number},
        )


def _deliver(complaint: Complaint, policy: Policy, now: dt.datetime) -> None:
    complaint.delivered_at = now
    complaint.respond_by = rules.respond_by(now, policy)
    complaint.settle_by = rules.settle_by(now, policy)
    complaint.auto_urge_level = 0
    _refresh_timers(complaint, policy)  # the state must already be delivered


def _request_hash(**fields: object) -> str:
    """sha256 of a canonical JSON of the normalised filing (amounts as fixed
    decimals, dates as ISO): "38", 38 and "38.00" are the same request."""
    canonical = json.dumps({k: (str(v) if isinstance(v, Decimal | dt.date) else v) for k, v in fields.items()},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(existing: Complaint, request_hash: str) -> Complaint:
    """The order a repeated filing with the same Idempotency-Key stands for."""
    if existing.request_hash != request_hash:
        raise Conflict(
            _("此幂等键已用于另一份内容不同的投诉 %(number)s，请换一个键") % {"number": existing.number},
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
        _("投诉提交过于频繁：每%(hours)d小时最多%(limit)d件，请%(wait)d秒后再试")
        % {"hours": hours, "limit": FILING_LIMIT, "wait": wait},
        retry_after=wait,
    )


def complaint_submit(
    *, consumer: access.Viewer, problem_type: str, description: str, claim_type: str,
    business_id: int | str | None = None,
    business_name: str = "", business_phone: str = "", business_credit_code: str = "",
    store_id: int | str | None = None, region_code: str | None = None,
    claim_amount: object = None, purchase_amount: object = None, purchase_date: object = None, order_ref: str = "",
    idempotency_key: str | None = None,
) -> Complaint:
    """File a complaint. Delivered straight to an active business (the clock
    starts); otherwise queued for the council of the region.

    With ``idempotency_key``, a repeat of the same filing (same key, same
    normalised fields) returns the order the first one made, marked with
    ``idempotent_replay = True``, instead of a second order; the same key with
    different fields raises Conflict ``idempotency_mismatch``. A consumer may
    file at most FILING_LIMIT complaints per FILING_WINDOW (RateLimited).

    A business not on the platform is named by ``business_name`` and ``region_code``; with its
    mobile (``business_phone``) or credit code (``business_credit_code``) it is invited to claim
    the order (``claims.business_named``: a credit code already on the platform files against
    that business), otherwise the council of the region sends the order on."""
    if not access.may_file_complaints(consumer):
        raise NotAllowed(_("只有消费者可以投诉"))
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
    named_phone = named_code = ""
    if business_id is not None and business_id != "":
        try:
            business = Business.objects.select_related("region").get(pk=int(business_id))
        except (Business.DoesNotExist, ValueError, TypeError):
            raise invalid("business_id", _("商户不存在")) from None
        review_reason = _review_reason(business)
    elif business_name:
        review_reason = "not_on_platform"
        named_phone, named_code = claims.named_contact(phone=business_phone, credit_code=business_credit_code)
    else:
        raise invalid("business_id", _("请选择商户，或填写商户名称"), code="required")
    if store_id is not None and store_id != "":
        if business is None:
            raise invalid("store_id", _("门店须属于所选商户"))
        try:
            store = Store.objects.select_related("region").get(pk=int(store_id), business=business, is_active=True)
        except (Store.DoesNotExist, ValueError, TypeError):
            raise invalid("store_id", _("该商户没有这个门店")) from None
    if store is not None:
        region = store.region
    elif business is not None:
        region = business.region
    else:
        region = region_get(region_code, field="region_code")

    matter_key = _matter_key(business, business_name, order_ref, problem_type)
    request_hash = _request_hash(
        business_id=business.pk if business else None, business_name=business_name,
        business_phone=named_phone, business_credit_code=named_code,
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
        if named_phone or named_code:  # a business named by its mobile or credit code: invite it
            business = claims.business_named(name=business_name, region=region, phone=named_phone,
                                             credit_code=named_code, now=now)
            business_name = ""
            review_reason = _review_reason(business)
            region = business.region
            matter_key = _matter_key(business, "", order_ref, problem_type)
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
        if rule.to is None:  # pragma: no cover - filing always moves to a state
            raise ValueError(f"{action} moves to no state")
        complaint.state = rule.to
        if action == "deliver":
            _deliver(complaint, policy, now)
        elif review_reason != AWAITING_CLAIM:  # the council's to decide: its clock starts (not while
            complaint.review_by = rules.review_by(now, policy)  # the order waits for its business's claim)
        try:
            with transaction.atomic():
                complaint.save()
        except IntegrityError:
            if idempotency_key is not None:  # lost a race with the same filing: answer with its order
                existing = Complaint.objects.filter(consumer_id=consumer.pk, idempotency_key=idempotency_key).first()
                if existing is not None:
                    return _replay(existing, request_hash)
            raise Conflict(_("您已就同一事项提交过投诉"),
                           code="duplicate") from None
        events.watch(complaint, new=True)
        _event(complaint, EventType.SUBMITTED, actor=consumer, side=Side.CONSUMER, now=now, state_from=NEW,
               payload={"routed": action, "review_reason": review_reason})
        if review_reason == AWAITING_CLAIM and business is not None:
            claims.invite(business=business, now=now)
    return complaint


def complaint_forward(*, actor: User, complaint: OrderRef, business_id: int | str | None = None, external: str = "",
                      note: str = "") -> Complaint:
    """Council: send a queued order on — to a business now active on the
    platform (delivered: the clock starts), or to another body (e.g. 12315)."""
    note = _text(note, "note", required=False, max_len=1000)
    if business_id is not None and business_id != "":
        try:
            business = Business.objects.get(pk=int(business_id))
        except (Business.DoesNotExist, ValueError, TypeError):
            raise invalid("business_id", _("商户不存在")) from None
        with _acting(actor, complaint, "forward") as (complaint, side, policy, now):
            if not business.is_active:
                raise invalid("business_id", _("该商户尚未入驻或已暂停"))
            if not claims.has_account(business):
                raise invalid("business_id", _("该商户还没有可登录的账号，无法送达；商户认领账号后投诉会自动送达"))
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


def complaint_reject(*, actor: User, complaint: OrderRef, reason: str) -> Complaint:
    """Council: refuse a queued order, with a reason the consumer reads."""
    reason = _text(reason, "reason", min_len=2, max_len=1000)
    with _acting(actor, complaint, "reject") as (complaint, side, policy, now):
        complaint.closing_reason = reason
        complaint.outcome_at = now
        _move(complaint, "reject", actor=actor, side=side, now=now, payload={"reason": reason})
        _save(complaint, "closing_reason", "outcome_at")
    return complaint


def business_claim(*, token: str, phone_code: str | None, credit_code: str, username: str, password: str,
                   display_name: str = "", name: str = "", industry: str = "",
                   ip: str | None = None) -> tuple[User, list[Complaint]]:
    """A business invited to claim its account does so (``hejie.businesses.claims``): the phone
    confirmed by code, the credit code checked, the admin account made, and every order that
    waited for it delivered, its clock starting now. Returns the account and those orders.

    Every field's problem is reported at once before the code is spent; a wrong code is counted
    (for the client address ``ip``: the sign-in throttle)."""
    invitation = claims.invitation_from_link(token)
    errors = claims.claim_errors(invitation, credit_code=credit_code, username=username, password=password,
                                 name=name, industry=industry)
    if errors:
        raise InvalidInput(_("请修改标出的项目"), fields=errors)
    policy = rules.get_policy()
    with phone_code_spent(phone=invitation.phone, code=phone_code, purpose="claim", ip=ip), \
            events.unit() as batch:
        batch.policy = policy
        now = clock.now()
        user = claims.claim_account(invitation=invitation, username=username, password=password,
                                    display_name=display_name, credit_code=credit_code, name=name,
                                    industry=industry, now=now)
        waiting = list(Complaint.objects.select_for_update().filter(
            business_id=invitation.business_id, state=State.PENDING_REVIEW, review_reason=AWAITING_CLAIM
        ).order_by("created_at", "pk"))
        for order in waiting:
            events.watch(order)
            _move(order, "forward", actor=None, side=Side.SYSTEM, now=now,
                  payload={"business_id": invitation.business_id, "claimed": True})
            _deliver(order, policy, now)
            _save(order, "delivered_at", "respond_by", "settle_by")
    return user, waiting
