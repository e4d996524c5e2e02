"""'My complaints' and the read-only order page. Scoped by the selectors:
an order that is not yours is a 404, never a 403."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from hejie.complaints.selectors import complaint_get_for, complaints_by_urgency, complaints_newest_first
from hejie.complaints.services import side_of
from hejie.complaints.states import RECONCILING, Side
from hejie.core.errors import NotFound
from hejie.web.labels import event_label

PAGE_SIZE = 20
signin_required = login_required(login_url=reverse_lazy("web:signin"))


@require_GET
@signin_required
def complaint_list(request):
    user = request.user
    by_urgency = user.role != "consumer"
    qs = complaints_by_urgency(user) if by_urgency else complaints_newest_first(user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/complaint_list.html", {
        "page": page, "by_urgency": by_urgency, "is_consumer": user.role == "consumer",
        "reconciling": RECONCILING,
    })


@require_GET
@signin_required
def complaint_detail(request, complaint_id: int):
    try:
        complaint = complaint_get_for(request.user, complaint_id)
    except NotFound:
        raise Http404("no such complaint") from None
    events = [(event, event_label(event.type)) for event in complaint.events.all()]
    return render(request, "web/complaint_detail.html", {
        "c": complaint, "events": events, "side": side_of(request.user, complaint),
        "reconciling": complaint.state in RECONCILING, "Side": Side,
        "messages_list": complaint.messages.all(), "proposals": complaint.proposals.all(),
        "evidence": complaint.evidence.all(),
    })
