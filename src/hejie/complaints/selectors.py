"""Reads of complaints. Every read is scoped through ``visible_to``."""

from __future__ import annotations

from django.db.models import Case, F, Prefetch, When

from hejie.complaints.models import Complaint, ComplaintEvent, Message, Proposal
from hejie.complaints.states import RECONCILING
from hejie.core.errors import NotFound


def complaints_for(user):
    return Complaint.objects.visible_to(user).select_related("business", "region")


def complaints_by_urgency(user):
    """``user``'s orders, the next deadline first: the first-response deadline while
    the business has not answered, then the 14-day limit; orders without a running
    clock follow, newest first."""
    due = Case(
        When(state__in=sorted(RECONCILING), first_response_at__isnull=True, respond_by__isnull=False,
             then=F("respond_by")),
        When(state__in=sorted(RECONCILING), then=F("settle_by")),
        default=None,
    )
    return complaints_for(user).annotate(due_at=due).order_by(F("due_at").asc(nulls_last=True), "-created_at", "-id")


def complaints_newest_first(user):
    return complaints_for(user).order_by("-created_at", "-id")


def complaint_get_for(user, complaint_id) -> Complaint:
    """The order if ``user`` may see it; otherwise NotFound (never 403: an
    order that is not yours does not exist for you)."""
    try:
        pk = int(complaint_id)
    except (TypeError, ValueError):
        raise NotFound("投诉不存在 (no such complaint)") from None
    complaint = (
        complaints_for(user)
        .select_related("consumer", "store")
        .prefetch_related(
            Prefetch("events", queryset=ComplaintEvent.objects.select_related("actor")),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
            "evidence", "urges", "mediations",
            Prefetch("proposals", queryset=Proposal.objects.order_by("created_at", "id")),
        )
        .filter(pk=pk)
        .first()
    )
    if complaint is None:
        raise NotFound("投诉不存在 (no such complaint)")
    return complaint


def complaint_get_by_number_for(user, number: str) -> Complaint:
    pk = complaints_for(user).filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound("投诉不存在 (no such complaint)")
    return complaint_get_for(user, pk)


# Actions a person takes through a face (the platform's own moves and the
# implicit "respond" are not offered as buttons).
_PERSONAL_ACTIONS = ("message", "evidence", "propose", "accept", "reject_proposal", "refuse", "withdraw", "urge",
                     "acknowledge_urge", "request_mediation", "mediation_settle", "mediation_fail", "mark_fulfilled",
                     "confirm_fulfilment", "rate", "forward", "forward_external", "reject")


def actions_for(user, complaint: Complaint) -> list[str]:
    """What ``user`` can do on ``complaint`` now: the transition table's answer
    narrowed by the order's own facts (an offer pending, a rating given, an
    urge to acknowledge …), so a face shows only buttons that will work.
    Uses the relations ``complaint_get_for`` prefetches. The services still
    check everything when the action is taken."""
    from hejie.complaints.services import side_of
    from hejie.complaints.states import allowed_actions

    side = side_of(user, complaint)
    if side is None:
        return []
    allowed = set(allowed_actions(complaint.state, side))
    proposals = list(complaint.proposals.all())
    pending_offer = any(p.status == "pending" and p.side == "business" for p in proposals)
    if not pending_offer:
        allowed -= {"accept", "reject_proposal"}
    if complaint.rated_at is not None:
        allowed.discard("rate")
    if not any(u.acknowledged_at is None for u in complaint.urges.all()):
        allowed.discard("acknowledge_urge")
    if complaint.fulfilment == Complaint.Fulfilment.CONFIRMED:
        allowed -= {"confirm_fulfilment", "mark_fulfilled"}
    if complaint.state == "settled" and complaint.fulfilment != Complaint.Fulfilment.NOT_FULFILLED:
        allowed.discard("request_mediation")
    return [a for a in _PERSONAL_ACTIONS if a in allowed]
