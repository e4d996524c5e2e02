"""Reads of ratings: the breakdown a business (and the public) can read."""

from __future__ import annotations

import datetime as dt
import statistics

from django.db.models import Count, Q

from hejie.complaints.models import Complaint
from hejie.complaints.policy import get_policy
from hejie.core import clock
from hejie.ratings.models import BlacklistEntry, RedListEntry
from hejie.ratings.services import rating_compute


def _hours(start, end) -> float | None:
    return round((end - start).total_seconds() / 3600, 1) if start and end else None


def rating_breakdown(*, business, now: dt.datetime | None = None, case_limit: int = 50) -> dict:
    """How the business's credit index and stars were computed, case by case.

    ``cases`` lists the scored cases of the window, newest first, each with
    what it cost against a perfect 10 — so a business sees which cases
    pulled it down and what would raise it (settling within 24 hours).
    """
    now = now or clock.now()
    policy = get_policy()
    r = rating_compute(business_id=business.pk, now=now, policy=policy)
    window = Complaint.objects.filter(business_id=business.pk, scored_at__gt=r["since"], scored_at__lte=now)
    tiers = {
        row["stars"]: row["n"]
        for row in window.values("stars").annotate(n=Count("id")).order_by()
    }
    cases = [
        {
            "number": c.number,
            "scored_at": c.scored_at,
            "stars": c.stars,
            "credit_points": c.credit_points,
            "cost": 10 - c.credit_points,
            "outcome": "settled" if c.settled_at else "failed",
            "hours_to_settle": _hours(c.delivered_at, c.settled_at),
        }
        for c in window.order_by("-scored_at").only(
            "number", "scored_at", "stars", "credit_points", "settled_at", "delivered_at")[:case_limit]
    ]
    # the median over every settled case of the window (not just the listed ones)
    hours = [_hours(d, s) for d, s in window.filter(settled_at__isnull=False).values_list("delivered_at", "settled_at")]
    all_time = Complaint.objects.filter(business_id=business.pk).aggregate(
        total=Count("id"),
        settled=Count("id", filter=Q(settled_at__isnull=False)),
        failed=Count("id", filter=Q(stars=0, scored_at__isnull=False)),
    )
    k, prior = r["prior_weight"], r["prior_points"]
    explanation = (
        f"信用指数 = ({k} × {prior} + 案件得分之和 {r['points_total']}) ÷ ({k} + 案件数 {r['cases']})。"
        f"统计最近{r['window_days']}天内结案的案件；每家商户先按{k}件中等案件（{prior}分）起算，"
        f"案件越多越接近自身真实表现。24小时内和解得10分，3天内8分，7天内6分，14天内4分，和解失败0分。"
        if r["cases"] else "暂无已结案件，尚未评级 (no finished case yet: unrated)"
    )
    return {
        **r,
        "tiers": {stars: tiers.get(stars, 0) for stars in (5, 4, 3, 2, 0)},
        "cases_listed": cases,
        "median_hours_to_settle": statistics.median(hours) if hours else None,
        "complaints_total": all_time["total"],
        "settled_total": all_time["settled"],
        "failed_total": all_time["failed"],
        "settlement_rate": round(all_time["settled"] / all_time["total"], 3) if all_time["total"] else None,
        "explanation": explanation,
        "to_improve": "每件投诉在24小时内与消费者达成和解，可获满分10分 (settle each complaint within 24 hours for 10)",
    }


def business_record(*, business, now: dt.datetime | None = None) -> dict:
    """A business's public record: the rating breakdown (above) and whether it
    stands on the black list (a published entry) or the red list (a confirmed
    one). A fixed number of queries, whatever the number of cases."""
    breakdown = rating_breakdown(business=business, now=now)
    return {
        "breakdown": breakdown,
        "on_black_list": BlacklistEntry.objects.filter(
            business_id=business.pk, status=BlacklistEntry.Status.PUBLISHED).exists(),
        "on_red_list": RedListEntry.objects.filter(
            business_id=business.pk, status=RedListEntry.Status.CONFIRMED).exists(),
    }
