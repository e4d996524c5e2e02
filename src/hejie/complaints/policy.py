"""The time rules: read from the one ``Policy`` row and turned into deadlines
and scores. Every time-dependent decision in Hejie goes through here.

Boundaries are inclusive of the limit: a case settled exactly 24 h after
delivery still scores 5 stars; one second later it scores 4. The
reconciliation fails when ``now > settle_by`` (14 days + 1 second).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from hejie.complaints.models import Complaint, Policy
from hejie.complaints.states import RECONCILING
from hejie.workdays import calendar


def get_policy() -> Policy:
    policy = Policy.objects.filter(pk=1).first()
    if policy is None:
        policy, _ = Policy.objects.get_or_create(pk=1)
    return policy


@dataclass(frozen=True)
class Score:
    stars: int
    points: int


FAILED_SCORE = Score(0, 0)


def score_for(elapsed: dt.timedelta, policy: Policy) -> Score:
    """Stars and credit points for a case settled ``elapsed`` after delivery."""
    seconds = elapsed.total_seconds()
    for limit, stars, points in policy.score_tiers:
        if seconds <= limit:
            return Score(int(stars), int(points))
    return FAILED_SCORE


def respond_by(delivered_at: dt.datetime, policy: Policy) -> dt.datetime:
    return delivered_at + dt.timedelta(hours=policy.first_response_hours)


def settle_by(delivered_at: dt.datetime, policy: Policy) -> dt.datetime:
    return delivered_at + dt.timedelta(days=policy.settle_days)


# The council's clocks: in working days, by the one rule of ``hejie.workdays.calendar.add_workdays``.


def review_by(queued_at: dt.datetime, policy: Policy) -> dt.datetime:
    """When the council must have forwarded or rejected an order that entered its review queue."""
    return calendar.add_workdays(queued_at, policy.review_workdays)


def mediation_decide_by(started_at: dt.datetime, policy: Policy) -> dt.datetime:
    return calendar.add_workdays(started_at, policy.mediation_workdays)


def appeal_decide_by(filed_at: dt.datetime, policy: Policy) -> dt.datetime:
    return calendar.add_workdays(filed_at, policy.appeal_workdays)


def consumer_reply_by(offered_at: dt.datetime, policy: Policy) -> dt.datetime:
    return offered_at + dt.timedelta(days=policy.consumer_silence_days)


def next_auto_urge(complaint: Complaint, policy: Policy) -> tuple[int, dt.datetime | None]:
    """The next automatic urge still applicable to this order: (level, when).

    Levels already passed are skipped; a "no_response" urge is skipped once
    the business has responded."""
    level = complaint.auto_urge_level
    urges = policy.auto_urges
    while level < len(urges):
        spec = urges[level]
        if spec.get("kind") == "no_response" and complaint.first_response_at is not None:
            level += 1
            continue
        if complaint.delivered_at is None:  # the clock runs from delivery: only reconciling orders have one
            raise ValueError(f"order {complaint.pk} was not delivered")
        return level, complaint.delivered_at + dt.timedelta(hours=spec["after_hours"])
    return level, None


def next_consumer_reminder(complaint: Complaint, offered_at: dt.datetime, policy: Policy) -> dt.datetime | None:
    hours = policy.consumer_reminder_hours
    if complaint.consumer_reminder_level < len(hours):
        return offered_at + dt.timedelta(hours=hours[complaint.consumer_reminder_level])
    return None


# --- "overdue", defined once (the council's lists, the figures, the API flags)

NEAR_SETTLE_BY = dt.timedelta(hours=48)


def overdue_response(complaint: Complaint, now: dt.datetime) -> bool:
    """Reconciling, no first response, and the response deadline has passed."""
    return (complaint.state in RECONCILING and complaint.first_response_at is None
            and complaint.respond_by is not None and now > complaint.respond_by)


def overdue_settlement(complaint: Complaint, now: dt.datetime) -> bool:
    """Still reconciling after the settle-by moment (the sweep is about to end it)."""
    return complaint.state in RECONCILING and complaint.settle_by is not None and now > complaint.settle_by


def overdue_filters(now: dt.datetime) -> dict[str, Q]:
    """The same definitions as queryset filters, plus "near" (settle-by within 48 h)."""
    reconciling = Q(state__in=sorted(RECONCILING))
    return {
        "awaiting_first_response": reconciling & Q(first_response_at__isnull=True, respond_by__lt=now),
        "near_settle_by": reconciling & Q(settle_by__gte=now, settle_by__lte=now + NEAR_SETTLE_BY),
        "past_settle_by": reconciling & Q(settle_by__lt=now),
    }
