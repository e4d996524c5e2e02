"""Reads of complaints. Every read is scoped through ``visible_to``."""

from __future__ import annotations

from django.db.models import Case, F, Prefetch, When

from hejie.accounts import access
from hejie.complaints.models import Complaint, ComplaintEvent, Message, Proposal
from hejie.complaints.states import RECONCILING, Side
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


# --------------------------------------------------------------------------- the web inbox and order page

CONSUMER_VIEWS = ("all", "open", "closed")
BUSINESS_VIEWS = ("open", "waiting", "overdue", "urged", "closed", "all")
SEARCH_MAX = 64


def inbox_views(user) -> tuple[str, ...]:
    """The filters a person's inbox offers (the first is the default)."""
    return CONSUMER_VIEWS if access.is_consumer(user) else BUSINESS_VIEWS


def inbox_for(user, *, view: str = "", q: str = ""):
    """``user``'s orders for the inbox, in one query per page: the urgency order
    (consumers: newest first), narrowed by ``view`` and by the search ``q``
    (order number, the consumer's order reference, words of the description),
    each row annotated with what its card shows: the business's last message
    (``last_business_message``), the latest urge not yet acknowledged
    (``urge_note``, ``urge_at``), and whether an offer waits on the consumer
    (``offer_pending``).

    Views: ``open`` (still with someone to act), ``closed``, ``all``; for
    business and council staff also ``waiting`` (reconciling and no offer of
    ours pending: the next move is ours), ``overdue`` (first answer or
    settlement deadline passed, as ``policy.overdue_filters`` defines) and
    ``urged`` (an urge not yet acknowledged)."""
    from django.db.models import Exists, OuterRef, Q, Subquery

    from hejie.complaints import policy
    from hejie.complaints.models import Urge
    from hejie.complaints.states import OPEN_STATES
    from hejie.core import clock

    views = inbox_views(user)
    view = view if view in views else views[0]
    consumer = access.is_consumer(user)
    qs = complaints_newest_first(user) if consumer else complaints_by_urgency(user)
    unacknowledged = Urge.objects.filter(complaint=OuterRef("pk"), acknowledged_at__isnull=True).order_by(
        "-created_at", "-id")
    pending = Proposal.objects.filter(complaint=OuterRef("pk"), status=Proposal.Status.PENDING,
                                      side=Side.BUSINESS)
    last_business = Message.objects.filter(complaint=OuterRef("pk"), side=Side.BUSINESS).order_by(
        "-created_at", "-id")
    qs = qs.annotate(offer_pending=Exists(pending))
    if consumer:
        qs = qs.annotate(last_business_message=Subquery(last_business.values("body")[:1]))
    else:
        qs = qs.annotate(urge_note=Subquery(unacknowledged.values("note")[:1]),
                         urge_at=Subquery(unacknowledged.values("created_at")[:1]),
                         urge_kind=Subquery(unacknowledged.values("kind")[:1]))
    if view == "open":
        qs = qs.filter(state__in=sorted(OPEN_STATES))
    elif view == "closed":
        qs = qs.exclude(state__in=sorted(OPEN_STATES))
    elif view == "waiting":
        qs = qs.filter(state__in=sorted(RECONCILING), offer_pending=False)
    elif view == "overdue":
        due = policy.overdue_filters(clock.now())
        qs = qs.filter(due["awaiting_first_response"] | due["past_settle_by"])
    elif view == "urged":
        qs = qs.filter(Exists(unacknowledged))
    q = " ".join((q or "").split())[:SEARCH_MAX]
    if q and not consumer:
        match = Q(number__istartswith=q) | Q(order_ref__iexact=q)
        words = Q()
        for word in q.split():
            words &= Q(description__icontains=word)
        qs = qs.filter(match | words)
    return qs


def order_page_get_for(user, complaint_id) -> Complaint:
    """``complaint_get_for`` plus what the order page shows beside it: each
    message's picture and cited clause, each offer's cited clause (at the
    version cited), the urges' and mediations' people. NotFound when not
    ``user``'s to see."""
    from django.db.models import prefetch_related_objects

    complaint = complaint_get_for(user, complaint_id)
    messages = list(complaint.messages.all())
    prefetch_related_objects(messages, "evidence", "clause__version__standard")
    prefetch_related_objects(list(complaint.proposals.all()), "clause__version__standard")
    return complaint


def citable_clauses(business) -> list:
    """The service-standard clauses either side may cite on an order against
    ``business`` (``standards.selectors.clauses_citable``), as a list for a picker."""
    from hejie.standards.selectors import clauses_citable

    return list(clauses_citable(business))
