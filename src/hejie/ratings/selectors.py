"""Reads of ratings: the breakdown a business (and the public) can read."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from hejie.businesses.models import Business
from hejie.complaints.models import Complaint, Policy
from hejie.complaints.policy import get_policy
from hejie.core import clock
from hejie.ratings.lists import RED_MIN_CREDIT_INDEX
from hejie.ratings.models import BlacklistEntry, RedListEntry
from hejie.ratings.services import rating_compute


def _hours(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    return round((end - start).total_seconds() / 3600, 1) if start and end else None


def rating_breakdown(*, business: Business, now: dt.datetime | None = None, case_limit: int = 50) -> dict[str, Any]:
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
            "cost": 10 - c.credit_points,  # type: ignore[operator]  # a scored case has its points
            "outcome": "settled" if c.settled_at else "failed",
            "hours_to_settle": _hours(c.delivered_at, c.settled_at),
        }
        for c in window.order_by("-scored_at").only(
            "number", "scored_at", "stars", "credit_points", "settled_at", "delivered_at")[:case_limit]
    ]
    # the median over every settled case of the window (not just the listed ones)
    hours = [h for d, s in window.filter(settled_at__isnull=False).values_list("delivered_at", "settled_at")
             if (h := _hours(d, s)) is not None]  # a settled case was delivered: none is left out
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
        if r["cases"] else _("暂无已结案件，尚未评级")
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
        "to_improve": _("每件投诉在24小时内与消费者达成和解，可获满分10分"),
    }


def business_record(*, business: Business, now: dt.datetime | None = None) -> dict[str, Any]:
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


# ======================================================================
# The workbench (issue 4): the business's own record, and what would raise it.
# ======================================================================

OUTLOOK_STEPS = (1, 5, 10)


def rating_outlook(*, breakdown: dict[str, Any], policy: Policy | None = None) -> dict[str, Any]:
    """What would raise the business's rating, from the formula itself (see
    ``hejie.ratings.services``): the credit index and stars after N more cases
    scored at the top tier (settled within the first tier's time), for a few N,
    and how many such cases would bring the index to the red-list threshold.

    ``breakdown`` is ``rating_breakdown``'s result (it carries the sums and the
    prior). Cases leaving the window are not foreseen: this says what the
    business can do, not what time will do.
    """
    from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

    policy = policy or get_policy()
    top_seconds, top_stars, top_points = policy.score_tiers[0]
    k, n = breakdown["prior_weight"], breakdown["cases"]
    base_points = breakdown["prior_points"] * k + breakdown["points_total"]
    base_stars = breakdown["prior_stars"] * k + breakdown["stars_total"]
    two = Decimal("0.01")

    def after(more: int) -> dict[str, Any]:
        return {
            "more": more,
            "credit_index": ((base_points + top_points * more) / (k + n + more)).quantize(two, ROUND_HALF_UP),
            "star_rating": ((base_stars + top_stars * more) / (k + n + more)).quantize(two, ROUND_HALF_UP),
        }

    to_red = None
    target = RED_MIN_CREDIT_INDEX
    if top_points > target:
        # (base + top·m) / (k + n + m) ≥ target  ⇔  m ≥ (target·(k + n) − base) / (top − target)
        needed = (target * (k + n) - base_points) / (Decimal(top_points) - target)
        # rounding half up may reach the threshold one case earlier than the exact bound
        m = max(0, int(needed.to_integral_value(ROUND_CEILING)))
        while m > 0 and after(m - 1)["credit_index"] >= target:
            m -= 1
        to_red = {"more": m, "threshold": target, **{k_: v for k_, v in after(m).items() if k_ != "more"}}
    return {
        "top_hours": top_seconds // 3600 if top_seconds % 3600 == 0 else round(top_seconds / 3600, 1),
        "top_points": top_points,
        "top_stars": top_stars,
        "steps": [after(m) for m in OUTLOOK_STEPS],
        "to_red_list": to_red,
        "already_red_level": breakdown["credit_index"] is not None and breakdown["credit_index"] >= target,
    }


def business_record_own(*, business: Business, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the business's own staff see on their record page: the public record
    (``business_record``), what would raise it (``rating_outlook``), and each listed
    case's order id (so the page links each case to its order)."""
    record = business_record(business=business, now=now)
    breakdown = record["breakdown"]
    numbers = [c["number"] for c in breakdown["cases_listed"]]
    ids = dict(Complaint.objects.filter(business_id=business.pk, number__in=numbers).values_list("number", "id"))
    for case in breakdown["cases_listed"]:
        case["id"] = ids.get(case["number"])
    return {**record, "outlook": rating_outlook(breakdown=breakdown)}
