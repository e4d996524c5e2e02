"""Reads of complaints. Every read of orders is scoped through ``visible_to``.

At the end, the complaint figures that the apps below complaints show but may
not read themselves (they sit lower in the layers): a business's complaint
count and its complaints per 10,000 orders, a partner's businesses with their
records, the service-standard clauses cited most. Those are counts, never an
order's content, each scoped as its docstring says.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
    prefetch_related_objects,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from hejie.accounts import access, privacy
from hejie.businesses.models import Business, ClaimInvitation
from hejie.businesses.selectors import industry_get, oversight_region
from hejie.complaints import policy
from hejie.complaints.models import Complaint, ComplaintEvent, ComplaintQuerySet, Message, Proposal, Urge
from hejie.complaints.services import side_of
from hejie.complaints.states import AWAITING_CLAIM, OPEN_STATES, RECONCILING, Side, State, allowed_actions
from hejie.core import clock
from hejie.core.errors import NotFound
from hejie.partners.models import ImportBatch, ImportRow
from hejie.partners.selectors import partner_of
from hejie.standards.models import StandardClause
from hejie.standards.selectors import clauses_citable

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from hejie.accounts.access import Viewer
    from hejie.accounts.models import User
    from hejie.businesses.models import Industry
    from hejie.regions.models import Region


def complaints_for(user: Viewer) -> ComplaintQuerySet:
    return Complaint.objects.visible_to(user).select_related("business", "region")


def complaints_by_urgency(user: Viewer) -> QuerySet[Complaint]:
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


def complaints_newest_first(user: Viewer) -> QuerySet[Complaint]:
    return complaints_for(user).order_by("-created_at", "-id")


def complaint_get_for(user: Viewer, complaint_id: int | str) -> Complaint:
    """The order if ``user`` may see it; otherwise NotFound (never 403: an
    order that is not yours does not exist for you)."""
    try:
        pk = int(complaint_id)
    except (TypeError, ValueError):
        raise NotFound(_("投诉不存在")) from None
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
        raise NotFound(_("投诉不存在"))
    return _masked_for(user, complaint)


def _masked_for(user: Viewer, complaint: Complaint) -> Complaint:
    """The order as ``user`` may read it: unchanged for whoever holds the right to the consumer's
    personal data on it (``access.may_see_personal_data_on``); for everyone else (council staff
    without the right, a suspended business's staff) the consumer's phone and name masked and
    every free text of the order, its timeline's payloads included, through ``privacy.scrub``.
    Every face reads an order here, so every face shows the same. The rows are masked in memory
    only, and marked: saving one raises (``privacy.refuse_redacted``)."""
    if access.may_see_personal_data_on(user, complaint):
        return complaint
    scrub = privacy.scrub
    consumer_id = complaint.consumer_id

    def person(someone: User | None) -> None:
        if someone is not None and someone.pk == consumer_id and not getattr(someone, privacy.REDACTED, False):
            privacy.redact(someone, phone=privacy.mask_phone(someone.phone), username=privacy.mask_phone(someone.phone),
                           display_name=privacy.mask_name(someone.display_name), email="", wechat_openid=None)

    person(complaint.consumer)
    privacy.redact(complaint, description=scrub(complaint.description),
                   business_name_given=scrub(complaint.business_name_given),
                   satisfaction_comment=scrub(complaint.satisfaction_comment),
                   closing_reason=scrub(complaint.closing_reason), forwarded_to=scrub(complaint.forwarded_to))
    for message in complaint.messages.all():
        person(message.author)
        privacy.redact(message, body=scrub(message.body))
    for proposal in complaint.proposals.all():
        privacy.redact(proposal, terms=scrub(proposal.terms), reject_reason=scrub(proposal.reject_reason))
    for urge in complaint.urges.all():
        privacy.redact(urge, note=scrub(urge.note))
    for mediation in complaint.mediations.all():
        privacy.redact(mediation, reason=scrub(mediation.reason), terms=scrub(mediation.terms))
    for evidence in complaint.evidence.all():  # a file's name ("13800138000.jpg") is free text too
        privacy.redact(evidence, original_name=scrub(evidence.original_name))
    for event in complaint.events.all():
        person(event.actor)
        privacy.redact(event, payload=privacy.scrub_data(event.payload))
    return complaint


def masked_row_for(user: Viewer, complaint: Complaint) -> Complaint:
    """A row of a list of orders as ``user`` may read it: the name the consumer typed for a
    business not on the platform (free text, the only one a list shows) through ``privacy.scrub``
    unless ``user`` holds the right on the order."""
    if complaint.business_name_given and not access.may_see_personal_data_on(user, complaint):
        privacy.redact(complaint, business_name_given=privacy.scrub(complaint.business_name_given))
    return complaint


def complaint_get_by_number_for(user: Viewer, number: str) -> Complaint:
    pk = complaints_for(user).filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(_("投诉不存在"))
    return complaint_get_for(user, pk)


# Actions a person takes through a face (the platform's own moves and the
# implicit "respond" are not offered as buttons).
_PERSONAL_ACTIONS = ("message", "evidence", "propose", "accept", "reject_proposal", "refuse", "withdraw", "urge",
                     "acknowledge_urge", "request_mediation", "mediation_settle", "mediation_fail", "mediation_extend",
                     "mark_fulfilled",
                     "confirm_fulfilment", "rate", "forward", "forward_external", "reject")


def actions_for(user: Viewer, complaint: Complaint) -> list[str]:
    """What ``user`` can do on ``complaint`` now: the transition table's answer
    narrowed by the order's own facts (an offer pending, a rating given, an
    urge to acknowledge …), so a face shows only buttons that will work.
    Uses the relations ``complaint_get_for`` prefetches. The services still
    check everything when the action is taken."""
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
    if "mediation_extend" in allowed and any(m.outcome == "" and m.extended_at is not None
                                             for m in complaint.mediations.all()):
        allowed.discard("mediation_extend")  # once
    return [a for a in _PERSONAL_ACTIONS if a in allowed]


# --------------------------------------------------------------------------- the web inbox and order page

CONSUMER_VIEWS = ("all", "open", "closed")
BUSINESS_VIEWS = ("open", "waiting", "overdue", "urged", "closed", "all")
SEARCH_MAX = 64


def inbox_views(user: Viewer) -> tuple[str, ...]:
    """The filters a person's inbox offers (the first is the default)."""
    return CONSUMER_VIEWS if access.is_consumer(user) else BUSINESS_VIEWS


def inbox_for(user: Viewer, *, view: str = "", q: str = "") -> QuerySet[Complaint]:
    """``user``'s orders for the inbox, in one query per page: the urgency order
    (consumers: newest first), narrowed by ``view`` and by the search ``q``
    (order number, the consumer's order reference, words of the description: those only for a
    reader who holds the right to personal data on the order, ``access.personal_data_q``),
    each row annotated with what its card shows: the business's last message
    (``last_business_message``), the latest urge not yet acknowledged
    (``urge_note``, ``urge_at``), and whether an offer waits on the consumer
    (``offer_pending``).

    Views: ``open`` (still with someone to act), ``closed``, ``all``; for
    business and council staff also ``waiting`` (reconciling and no offer of
    ours pending: the next move is ours), ``overdue`` (first answer or
    settlement deadline passed, as ``policy.overdue_filters`` defines) and
    ``urged`` (an urge not yet acknowledged)."""
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
        # The words of the description only for a reader who may read it unmasked: searching masked
        # text would tell a suspended business which order holds a phone number it guesses.
        words = access.personal_data_q(user)
        for word in q.split():
            words &= Q(description__icontains=word)
        qs = qs.filter(match | words)
    return qs


def order_page_get_for(user: Viewer, complaint_id: int | str) -> Complaint:
    """``complaint_get_for`` plus what the order page shows beside it: each
    message's picture and cited clause, each offer's cited clause (at the
    version cited), the urges' and mediations' people. NotFound when not
    ``user``'s to see."""
    complaint = complaint_get_for(user, complaint_id)
    messages = list(complaint.messages.all())
    prefetch_related_objects(messages, "evidence", "clause__version__standard")
    prefetch_related_objects(list(complaint.proposals.all()), "clause__version__standard")
    if getattr(complaint, privacy.REDACTED, False):  # masked for this reader: the messages' files too
        for message in messages:
            if message.evidence is not None:
                privacy.redact(message.evidence, original_name=privacy.scrub(message.evidence.original_name))
    return complaint


def citable_clauses(business: Business | None) -> list[StandardClause]:
    """The service-standard clauses either side may cite on an order against
    ``business`` (``standards.selectors.clauses_citable``), as a list for a picker."""
    return list(clauses_citable(business))


# --------------------------------------------------------------------------- figures for the apps below complaints


def complaint_counts(business_ids: Iterable[int]) -> dict[int, int]:
    """How many complaints each business has had (all time), in one query."""
    ids = list(business_ids)
    if not ids:
        return {}
    rows = Complaint.objects.filter(business_id__in=ids).values("business_id").annotate(n=Count("id")).order_by()
    return {row["business_id"]: row["n"] for row in rows}


VOLUME_WINDOW_DAYS = 365
VOLUME_MIN_DAYS = 30


def complaints_per_10k_orders(business: Business) -> dict[str, Any] | None:
    """Complaints per 10,000 orders, where the partner that brought
    ``business`` reported its order volume; ``None`` where none did.

    The window is the last 365 days, cut to the day the business joined the
    platform if it joined later (before that it could get no complaint here).
    The complaints are those filed in the window. The orders are the
    partner's reported yearly volume (the ``order_volume`` column of its
    committed import that brought the business, read as orders per year)
    prorated to the window's length. No rate when the report is more
    than 365 days old, or the window is shorter than 30 days (too few days to
    say anything); a reported volume of 0 gives ``rate`` ``None``."""
    if business.partner_id is None:
        return None
    row = (ImportRow.objects.filter(business_id=business.pk, data__has_key="order_volume",
                                    batch__partner_id=business.partner_id,
                                    batch__status=ImportBatch.Status.COMMITTED, batch__committed_at__isnull=False)
           .select_related("batch").order_by("-batch__committed_at", "-batch_id").first())
    if row is None:
        return None
    now = clock.now()
    year = dt.timedelta(days=VOLUME_WINDOW_DAYS)
    committed_at = row.batch.committed_at  # set: the filter asks for it
    if committed_at is None or committed_at < now - year:
        return None
    try:
        yearly = int(row.data["order_volume"])
    except (TypeError, ValueError):
        return None
    joined = business.approved_at or business.created_at
    since = max(now - year, joined)
    if now - since < dt.timedelta(days=VOLUME_MIN_DAYS):
        return None
    complaints = Complaint.objects.filter(business_id=business.pk, created_at__gte=since,
                                          created_at__lte=now).count()
    orders = yearly * ((now - since) / year)
    return {
        "rate": round(complaints * 10000 / orders, 2) if orders > 0 else None,
        "complaints": complaints, "orders": round(orders), "yearly_orders": yearly, "since": since, "until": now,
    }


class BusinessRecord(TypedDict):
    """What ``partner_businesses`` annotates each business with."""

    complaints_total: int
    settled: int
    failed: int
    overdue: int
    order_volume: int | None
    waiting_claim: int  # orders waiting for the business to claim its account
    invitation_sends: int | None  # the open claim invitation: times sent, last sent
    invitation_sent_at: dt.datetime | None


def partner_businesses(user: Viewer) -> QuerySet[WithAnnotations[Business, BusinessRecord]]:
    """The businesses the user's partner (``partners.selectors.partner_of``)
    brought, each annotated with its record: complaints, settled, failed,
    overdue now, and the order volume the partner reported for it (latest
    import). One query per page."""
    partner = partner_of(user)
    now = clock.now()
    overdue = policy.overdue_filters(now)
    volume = (ImportRow.objects.filter(business_id=OuterRef("pk"), data__has_key="order_volume")
              .order_by("-batch_id").values(v=Cast(KT("data__order_volume"), BigIntegerField()))[:1])
    invitation = ClaimInvitation.objects.filter(business_id=OuterRef("pk"), claimed_at__isnull=True)
    return (
        Business.objects.filter(partner=partner)
        .select_related("industry", "region")
        .annotate(
            complaints_total=Count("complaints", distinct=True),
            settled=Count("complaints", filter=Q(complaints__settled_at__isnull=False), distinct=True),
            failed=Count("complaints", filter=Q(complaints__stars=0, complaints__scored_at__isnull=False),
                         distinct=True),
            overdue=Count("complaints", filter=_prefixed(overdue["awaiting_first_response"])
                          | _prefixed(overdue["past_settle_by"]), distinct=True),
            order_volume=Subquery(volume),
            waiting_claim=Count("complaints", filter=Q(complaints__state=State.PENDING_REVIEW,
                                                       complaints__review_reason=AWAITING_CLAIM), distinct=True),
            invitation_sends=Subquery(invitation.values("sends")[:1]),
            invitation_sent_at=Subquery(invitation.values("last_sent_at")[:1]),
        )
    )


def _prefixed(q: Q) -> Q:
    """``overdue_filters`` speaks of a complaint; here they are reached from a business."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    out.children = [_prefixed(c) if isinstance(c, Q)
                    else (f"complaints__{c[0]}", c[1])  # type: ignore[index]  # a (lookup, value) pair
                    for c in q.children]
    return out


CITED_TOP = 20


def clauses_cited(*, region: Region | None, industry: Industry | None = None, since: dt.datetime | None = None,
                  top: int = CITED_TOP) -> list[dict[str, Any]]:
    """Which service-standard clauses are cited most, per industry: citations
    in messages and proposals on orders in ``region``'s subtree (None:
    everywhere), made at or after ``since``. Each industry's clauses ranked by
    count (ties: clause number), at most ``top`` per industry."""
    counts: Counter[int] = Counter()
    for model in (Message, Proposal):
        qs = model.objects.filter(clause__isnull=False)
        if region is not None:
            qs = qs.filter(**region.subtree_filter("complaint__"))
        if industry is not None:
            qs = qs.filter(clause__version__standard__industry=industry)
        if since is not None:
            qs = qs.filter(created_at__gte=since)
        for row in qs.values("clause_id").annotate(n=Count("id")).order_by():
            counts[row["clause_id"]] += row["n"]
    clauses = StandardClause.objects.select_related("version__standard__industry").in_bulk(list(counts))
    by_industry: dict[str, list[dict[str, Any]]] = {}
    ordered = sorted(clauses.values(), key=lambda c: (c.version.standard.industry.position,
                                                      c.version.standard.industry_id, -counts[c.pk],
                                                      c.version.standard_id, c.sort_key, c.version.version))
    result: list[dict[str, Any]] = []
    for c in ordered:
        ind = c.version.standard.industry
        rows = by_industry.get(ind.code)
        if rows is None:
            rows = by_industry[ind.code] = []
            result.append({"industry": {"code": ind.code, "name": ind.name}, "clauses": rows})
        if len(rows) < top:
            rows.append({"clause_id": c.pk, "standard_id": c.version.standard_id,
                         "standard_title": c.version.standard.title, "version": c.version.version,
                         "number": c.number, "text": c.text, "citations": counts[c.pk]})
    return result


def clauses_cited_for(user: Viewer, *, region_code: str | None = None, industry: str | None = None,
                      since: dt.datetime | None = None) -> tuple[Region | None, Industry | None, list[dict[str, Any]]]:
    """``clauses_cited`` for council staff (their subtree, or a region inside
    it) and operators (anywhere); anyone else is refused."""
    region = oversight_region(user, region_code)
    industry_obj = industry_get(industry) if industry else None
    return region, industry_obj, clauses_cited(region=region, industry=industry_obj, since=since)


def due_backlog(now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many orders have a deadline that has passed (the sweep's work not yet done) and the
    oldest such deadline: both stay near zero while the sweep keeps up. One query on the partial
    index of ``next_deadline_at``."""
    row = Complaint.objects.filter(next_deadline_at__lte=now).aggregate(n=Count("id"), oldest=Min("next_deadline_at"))
    return int(row["n"]), row["oldest"]
