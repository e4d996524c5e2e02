"""Case scores, the business's credit index and stars, black-list candidates.

How the index is computed (said the same way on the business's breakdown page):

    credit index = (k × prior + sum of the case points) / (k + n)
    stars        = (k × prior stars + sum of the case stars) / (k + n)

over the n cases scored in the window (default: the last 365 days), with a
neutral prior of 6 points / 3 stars weighted as k = 5 cases. In PRODUCT terms:
every business starts as if it had five average cases (settled within a week);
one bad case moves a new business from 6.0 to 5.0, not to 0, and a business
with hundreds of cases is judged almost entirely on its own record. A
business with no case yet is shown as unrated, not as 6.

Both update in the same transaction as each outcome (``follow_events``, the
consumer of the scoring events: once per business and batch), and again when
the oldest case in the window leaves it (the sweep follows ``rating_expires_at``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q, Sum

from hejie.accounts import access
from hejie.businesses.models import Business
from hejie.complaints import events
from hejie.complaints.models import Complaint, Policy
from hejie.complaints.policy import get_policy
from hejie.notifications.services import notify
from hejie.ratings.models import BlacklistEntry

TWO = Decimal("0.01")


def _shrunk(total: int, n: int, prior: Decimal, weight: int) -> Decimal:
    return ((prior * weight + Decimal(total)) / Decimal(weight + n)).quantize(TWO, rounding=ROUND_HALF_UP)


def rating_compute(*, business_id: int, now: dt.datetime, policy: Policy | None = None) -> dict[str, Any]:
    """The rating of one business as of ``now``, from its scored cases."""
    policy = policy or get_policy()
    since = now - dt.timedelta(days=policy.rating_window_days)
    agg = Complaint.objects.filter(business_id=business_id, scored_at__gt=since, scored_at__lte=now).aggregate(
        n=Count("id"), points_sum=Sum("credit_points"), stars_sum=Sum("stars"), oldest=Min("scored_at"),
        failed=Count("id", filter=Q(stars=0)),
    )
    n = agg["n"] or 0
    weight = policy.rating_prior_weight
    result: dict[str, Any] = {
        "cases": n,
        "failed": agg["failed"] or 0,
        "points_total": agg["points_sum"] or 0,
        "stars_total": agg["stars_sum"] or 0,
        "window_days": policy.rating_window_days,
        "since": since,
        "prior_points": Decimal(policy.rating_prior_points),
        "prior_stars": Decimal(policy.rating_prior_stars),
        "prior_weight": weight,
        "credit_index": None,
        "star_rating": None,
        "expires_at": None,
    }
    if n:
        result["credit_index"] = _shrunk(result["points_total"], n, result["prior_points"], weight)
        result["star_rating"] = _shrunk(result["stars_total"], n, result["prior_stars"], weight)
        result["expires_at"] = agg["oldest"] + dt.timedelta(days=policy.rating_window_days)
    return result


def follow_events(batch: events.Batch) -> None:
    """The event consumer of stage RATINGS: refresh, once per batch, the rating of every
    business one of whose cases was scored in it (as of the latest such event)."""
    latest: dict[int, dt.datetime] = {}
    for event in batch.events:
        business_id = event.complaint.business_id
        if event.type in events.SCORED and business_id:
            latest[business_id] = max(event.created_at, latest.get(business_id, event.created_at))
    if not latest:
        return
    policy = batch.policy or get_policy()
    for business_id in sorted(latest):
        business_rating_refresh(business_id=business_id, now=latest[business_id], policy=policy)


def follow_failures(batch: events.Batch) -> None:
    """The event consumer of stage LISTS: each failed case may make its business a
    black-list candidate (``blacklist_check``), in the order the cases failed. Each check
    sees the failures up to its own, as if the cases had been checked one at a time: the
    batch's later failures are already written, so they are left out of its count."""
    failures = [e for e in batch.events if e.type in events.FAILED and e.complaint.business_id]
    if not failures:
        return
    policy = batch.policy or get_policy()
    for n, event in enumerate(failures):
        later = {e.complaint_id for e in failures[n + 1:]}
        blacklist_check(complaint=event.complaint, now=event.created_at, policy=policy, later=later)


def business_rating_refresh(*, business_id: int, now: dt.datetime,
                            policy: Policy | None = None) -> dict[str, Any]:
    r = rating_compute(business_id=business_id, now=now, policy=policy)
    Business.objects.filter(pk=business_id).update(
        credit_index=r["credit_index"], star_rating=r["star_rating"], rated_cases=r["cases"],
        rating_updated_at=now, rating_expires_at=r["expires_at"],
    )
    return r


def ratings_expire_due(*, now: dt.datetime, batch_size: int = 500, policy: Policy | None = None) -> int:
    """Refresh every business whose oldest case has left the rating window by ``now``
    (``rating_expires_at``), a batch per transaction. Returns how many were refreshed."""
    policy = policy or get_policy()
    refreshed = 0
    while True:
        with transaction.atomic():
            ids = list(Business.objects.filter(rating_expires_at__lte=now).order_by("rating_expires_at")
                       .values_list("pk", flat=True)[:batch_size])
            for pk in ids:
                business_rating_refresh(business_id=pk, now=now, policy=policy)
        refreshed += len(ids)
        if len(ids) < batch_size:
            return refreshed


def blacklist_check(*, complaint: Complaint, now: dt.datetime, policy: Policy | None = None,
                    later: Collection[int] = ()) -> BlacklistEntry | None:
    """Called when a case fails. Creates (or extends) a black-list *candidate*
    when the business meets a rule; nothing is published without a person.
    ``later``: orders that failed after this one in the same batch (not counted yet)."""
    policy = policy or get_policy()
    business = complaint.business
    if business is None:  # an order against no business on the platform: no list to be on
        return None
    entry = BlacklistEntry.objects.filter(business_id=business.pk, status__in=["candidate", "published"]).first()
    if entry is not None:
        entry.cases.add(complaint.pk)  # one more case on the open entry
        return entry
    rule: str | None = None
    reason = ""
    cases: list[int] = []
    if complaint.first_response_at is None:
        rule = BlacklistEntry.Rule.NEVER_TOOK_UP
        reason = f"投诉 {complaint.number} 送达后{policy.settle_days}天内未受理 (never took up a complaint)"
        cases = [complaint.pk]
    since = now - dt.timedelta(days=policy.blacklist_window_days)
    # A council decision (dismissed, or removed after rectification) wipes the
    # slate: only failures after it count toward a new candidate.
    last_decision = (
        BlacklistEntry.objects.filter(business_id=business.pk, status__in=["dismissed", "removed"],
                                      decided_at__isnull=False)
        .order_by("-decided_at").values_list("decided_at", flat=True).first()
    )
    if last_decision is not None and last_decision > since:
        since = last_decision
    failed = list(
        Complaint.objects.filter(business_id=business.pk, stars=0, scored_at__gt=since, scored_at__lte=now)
        .exclude(pk__in=later).values_list("pk", flat=True)[: policy.blacklist_failed_count * 10]
    )
    if len(failed) >= policy.blacklist_failed_count:
        rule = BlacklistEntry.Rule.FAILED_CASES
        reason = (
            f"{policy.blacklist_window_days}天内和解失败{len(failed)}件 "
            f"({len(failed)} failed cases in {policy.blacklist_window_days} days)"
        )
        cases = failed
    if rule is None:
        return None
    entry = BlacklistEntry.objects.create(business=business, rule=rule, reason=reason, created_at=now)
    entry.cases.add(*cases)
    notify(
        users=access.council_covering(business), event="blacklist_candidate",
        title=f"黑榜候选：{business.name}", body=reason, complaint=complaint,
    )
    return entry
