"""Demo data: Hubei's launch industries, businesses, staff, consumers and about
120 work orders in every state, made through the real services.

Nothing here writes a model the services own. Each order's story is a list of
steps (file, reply, offer, reject with a counter, urge, refuse, mediate …) at
moments in the past; the steps of all stories, and the businesses' own steps
(apply, approve, stores, suspension), run in one global time order, each under
``clock.travel(moment)``. Before every step the sweep runs at each deadline
that has fallen due since the last one, exactly as ``hejie serve`` would have
run it, so automatic urges, reminders, the 14-day failure and the
consumer-unresponsive close happen by the real rules at the real moments;
ratings and black-list candidates follow from them. At the end the sweep runs
once more at the real now.

The stories are fixed by a seed, and placed relative to the moment the demo
is loaded, so the demo is the same every time (only its dates move). The
whole load is one transaction: it loads completely or not at all.

The parts: ``base`` (seed, time units, the error), ``people``, ``businesses``
(and the platform and standards of the launch), ``texts`` (what people write),
``evidence`` (the files), ``orders`` (one order's story, ``Case``) and
``script`` (``Demo``: every story, run in time order). This module is what the
``hejie demo`` command uses: ``load`` and what it prints.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from hejie.accounts import access
from hejie.accounts.models import User
from hejie.businesses import claims
from hejie.businesses.models import Business, ClaimInvitation
from hejie.complaints.models import Complaint, Policy, Urge
from hejie.complaints.states import OPEN_STATES, State
from hejie.core import clock
from hejie.notifications.models import Delivery
from hejie.ops.demo.base import DemoError
from hejie.ops.demo.businesses import BUSINESSES, NAMED, STAFFED, UNCLAIMED, credit_codes
from hejie.ops.demo.people import ADMIN_PASSWORD, ADMIN_USERNAME, CONSUMER_PHONES, COUNCILS, STAFF_PASSWORD
from hejie.ops.demo.script import Demo
from hejie.ratings.models import BlacklistEntry

__all__ = ["DemoError", "Result", "demo_businesses", "is_loaded", "load", "signin_rows", "state_counts"]


@dataclass
class Result:
    loaded: bool
    seconds: float = 0.0
    mismatches: list[str] = field(default_factory=list)


def demo_businesses():
    return Business.objects.filter(credit_code__in=credit_codes().values())


def is_loaded() -> bool:
    return User.objects.filter(username=ADMIN_USERNAME).exists() and demo_businesses().count() == len(BUSINESSES)


def _obstacles() -> list[str]:
    """Things in the database that would collide with the demo."""
    found = []
    names = [ADMIN_USERNAME, *(u for u, _, _ in COUNCILS), *(f"biz_{n}" for n in STAFFED)]
    taken = sorted(User.objects.filter(username__in=names).values_list("username", flat=True))
    if taken:
        found.append(f"users already exist: {', '.join(taken)}")
    codes = demo_businesses().count()
    if codes:
        found.append(f"{codes} of the demo businesses already exist")
    policy = Policy.objects.filter(pk=1).first()
    if policy is not None:
        default = Policy()
        changed = [f for f in ("first_response_hours", "settle_days", "score_tiers", "auto_urges",
                               "consumer_silence_days", "consumer_reminder_hours", "mediation_request_days",
                               "blacklist_failed_count", "blacklist_window_days")
                   if getattr(policy, f) != getattr(default, f)]
        if changed:
            found.append(f"the time rules differ from the defaults the demo stories are written for: "
                         f"{', '.join(changed)}")
    return found


def load(now: dt.datetime | None = None, *, quiet_notifications: bool = True) -> Result:
    """Load the demo unless it is there already. One transaction: all or nothing."""
    if is_loaded():
        return Result(loaded=False)
    obstacles = _obstacles()
    if obstacles:
        raise DemoError("the database is not empty enough for the demo: " + "; ".join(obstacles)
                        + ". Load it into a fresh database (e.g. another HEJIE_DATA_DIR).")
    started = time.monotonic()
    hejie_log = logging.getLogger("hejie")
    level = hejie_log.level
    if quiet_notifications:  # thousands of "[sms → …]" lines otherwise; errors still show
        hejie_log.setLevel(logging.WARNING)
    try:
        demo = Demo(now)
        with transaction.atomic():
            demo.load()
            mismatches = demo.mismatches()
    finally:
        hejie_log.setLevel(level)
    return Result(loaded=True, seconds=time.monotonic() - started, mismatches=mismatches)



# ---------------------------------------------------------------------------- what to print


def state_counts() -> list[tuple[str, str, int]]:
    counts = dict(Complaint.objects.values_list("state").annotate(n=Count("id")))
    return [(s.value, s.label, counts.get(s.value, 0)) for s in State]


def signin_rows() -> list[tuple[str, str, str, str]]:
    """(role, username or phone, password or how to sign in, what they will see)."""
    rows = []
    total = Complaint.objects.count()
    rows.append(("operator 运营", ADMIN_USERNAME, ADMIN_PASSWORD,
                 f"/admin/: everything — {total} orders, {Business.objects.count()} businesses, the time rules"))
    for username, _, _ in COUNCILS:
        user = User.objects.filter(username=username).select_related("region").first()
        if user is None:
            continue
        scope = Complaint.objects.visible_to(user)
        queued = scope.filter(state=State.PENDING_REVIEW).count()
        overdue = scope.filter(state=State.DELIVERED, first_response_at__isnull=True,
                               respond_by__lt=clock.now()).count()
        mediating = scope.filter(state=State.MEDIATING).count()
        applying = Business.objects.filter(access.jurisdiction_q(user.region), status="applied").count()
        black = BlacklistEntry.objects.filter(status="candidate",
                                              ).filter(access.jurisdiction_q(user.region, "business__")).count()
        rows.append(("council 消委", username, STAFF_PASSWORD,
                     f"{user.region.name}: {scope.count()} orders, {queued} to review, {overdue} overdue, "
                     f"{mediating} in mediation, {applying} applications, {black} black-list candidates"))
    staff = User.objects.filter(role=User.Role.BUSINESS, username__startswith="biz_").select_related("business")
    for user in sorted((u for u in staff if u.username[4:].isdigit()), key=lambda u: int(u.username[4:])):
        orders = Complaint.objects.filter(business_id=user.business_id)
        open_ = orders.filter(state__in=OPEN_STATES).count()
        unack = Urge.objects.filter(complaint__business_id=user.business_id, acknowledged_at__isnull=True).count()
        rating = f", {user.business.star_rating}★" if user.business.star_rating is not None else ""
        sent = Delivery.objects.filter(user=user).count()
        rows.append(("business 经营者", user.username, STAFF_PASSWORD,
                     f"{user.business.name} ({user.business.get_status_display().split()[0]}{rating}): "
                     f"{orders.count()} orders, {open_} open, {unack} urges to acknowledge; "
                     f"{sent} messages sent to {user.mobile} and {user.email} (/account/channels/)"))
    invitation = ClaimInvitation.objects.filter(business__credit_code=UNCLAIMED["credit_code"],
                                                claimed_at__isnull=True).first()
    if invitation is not None:
        rows.append(("business 待认领", UNCLAIMED["name"], f"claim link (sent by SMS to {invitation.phone}): "
                     f"{claims.link_for(invitation)}",
                     "a merchant the platform brought without an account: 1 complaint waits for it to claim"))
    named = ClaimInvitation.objects.filter(business__status=Business.Status.INVITED, phone=NAMED["mobile"],
                                           claimed_at__isnull=True).first()
    if named is not None:
        rows.append(("business 未入驻", NAMED["name"], f"claim link (sent by SMS to {named.phone}): "
                     f"{claims.link_for(named)}",
                     "a shop not on the platform that a consumer named by its mobile: it joins by claiming"))
    for phone in CONSUMER_PHONES:
        user = User.objects.filter(phone=phone).first()
        if user is None:
            continue
        mine = Complaint.objects.filter(consumer=user)
        states = Counter(mine.values_list("state", flat=True))
        summary = ", ".join(f"{n} {s}" for s, n in states.most_common())
        rows.append(("consumer 消费者", phone, f"SMS code (in the log) or `hejie token --phone {phone}`",
                     f"{mine.count()} orders: {summary}"))
    return rows

