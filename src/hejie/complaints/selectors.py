"""Reads of complaints. Every read is scoped through ``visible_to``."""

from __future__ import annotations

from django.db.models import Prefetch

from hejie.complaints.models import Complaint, ComplaintEvent, Message, Proposal
from hejie.core.errors import NotFound


def complaints_for(user):
    return Complaint.objects.visible_to(user).select_related("business", "region")


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
