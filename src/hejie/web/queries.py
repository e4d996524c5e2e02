"""Reads the pages need on top of ``hejie.complaints.selectors``.

Everything starts from ``complaints_for(user)`` (the one scoping rule); this
only orders and pages. ``due_at`` belongs in complaints/selectors.py once that
file is free to change (it is being edited elsewhere): move it there then.
"""

from __future__ import annotations

from django.db.models import Case, F, When

from hejie.complaints.selectors import complaints_for
from hejie.complaints.states import RECONCILING


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
