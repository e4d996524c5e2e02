"""The council's order list: its filters, its queues (preset filters), and the
queryset behind the list, the dashboard's links and the exports.

Every filter narrows ``Complaint.objects.visible_to(user)`` (council staff:
their region's subtree), so nothing outside it is ever listed. A filter
naming a region outside the subtree, or a business or industry that does not
exist, is refused (``NotAllowed`` / ``InvalidInput``); the web answers 404 /
422.

Filters (the names are the query-string parameters):

* ``q``: an order number (or its beginning), or the consumer's order reference;
* ``queue``: ``review`` (waiting for review: business not on the platform or
  out of scope), ``urge`` (overdue to urge: reconciling and no first response
  past 24 h, or the 14-day limit within 48 h or passed), ``mediation`` (in
  mediation), ``failed`` (failed: may be taken into mediation);
* ``state``: the state now;
* ``figure``: the dashboard's figure definitions (``hejie.complaints.stats``):
  ``settled`` (settled by acceptance), ``failed`` (scored as failed),
  ``within_24h`` (settled within 24 h of delivery), ``open``;
* ``region``: a region inside the jurisdiction (its subtree);
* ``industry``, ``business`` (id);
* ``from``, ``to``: filing dates, Asia/Shanghai, inclusive;
* ``overdue``: ``awaiting_first_response``, ``near_settle_by``,
  ``past_settle_by`` (``complaints.policy.overdue_filters``, as of now);
* ``urged``: ``1`` — an urge not yet acknowledged;
* ``surge``: ``business:<id>`` or ``industry:<code>`` — the orders behind a
  surge flag (filed since the start of the surge rule's recent window).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.businesses.models import Business, Industry
from hejie.businesses.selectors import industry_get, oversight_region
from hejie.complaints import figures as daily
from hejie.complaints.figures import FAST_SETTLEMENT
from hejie.complaints.models import Complaint, Urge
from hejie.complaints.policy import overdue_filters
from hejie.complaints.states import OPEN_STATES, RECONCILING, State
from hejie.complaints.stats import stats_period
from hejie.core import clock
from hejie.core.errors import InvalidInput, invalid
from hejie.oversight import surges as surge_rule
from hejie.regions.models import Region

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer

QUEUES = ("review", "urge", "mediation", "failed")
FIGURES = ("settled", "failed", "within_24h", "open")
OVERDUE = ("awaiting_first_response", "near_settle_by", "past_settle_by")
KEYS = ("q", "queue", "state", "figure", "region", "industry", "business", "from", "to", "overdue", "urged",
        "surge")
SEARCH_MAX = 64


@dataclass
class OrderFilters:
    """Checked filters, and the objects they name (for the page's labels)."""

    values: dict[str, str] = field(default_factory=dict)  # the raw, valid values, by KEYS
    region: Region | None = None  # the region filtered (or the jurisdiction's own, when none is given)
    jurisdiction: Region | None = None
    industry: Industry | None = None
    business: Business | None = None

    def query(self, **override: str | None) -> str:
        """The query string of these filters (``override`` replaces or, with None, drops a key)."""
        data = {**self.values, **override}
        return urlencode({k: data[k] for k in KEYS if data.get(k) not in (None, "")})

    def __bool__(self) -> bool:
        return any(v not in (None, "") for v in self.values.values())


def _date(raw: str, name: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, _("日期格式应为 YYYY-MM-DD")) from None


def parse_filters(user: Viewer, data: Mapping[str, object]) -> OrderFilters:
    """Check the filters of a request (a dict-like of strings). All errors at
    once in one ``InvalidInput`` (field → message); a region outside the
    jurisdiction: ``NotAllowed``."""
    raw = {k: " ".join(str(data.get(k, "") or "").split()) for k in KEYS}
    raw["q"] = raw["q"][:SEARCH_MAX]
    f = OrderFilters(values={})
    errors: dict[str, str] = {}

    def check(name: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except InvalidInput as exc:
            errors.update(exc.fields or {name: exc.message})

    f.jurisdiction = oversight_region(user, None)
    f.region = f.jurisdiction
    if raw["region"]:
        def region() -> None:
            f.region = oversight_region(user, raw["region"])
        check("region", region)
    for name, allowed in (("queue", QUEUES), ("figure", FIGURES), ("overdue", OVERDUE),
                          ("state", tuple(State.values))):
        if raw[name] and raw[name] not in allowed:
            errors[name] = _("无效的选项 %(value)s") % {"value": repr(raw[name])}
    if raw["urged"] not in ("", "1"):
        errors["urged"] = _("urged 只能为 1")
    if raw["industry"]:
        def industry() -> None:
            f.industry = industry_get(raw["industry"])
        check("industry", industry)
    if raw["business"]:
        try:
            f.business = Business.objects.only("id", "name").get(pk=int(raw["business"]))
        except (Business.DoesNotExist, ValueError):
            errors["business"] = _("商户不存在")
    dates: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        def one(name: str = name) -> None:
            dates[name] = _date(raw[name], name)
        check(name, one)
    if "from" not in errors and "to" not in errors and (dates.get("from") or dates.get("to")):
        check("to", lambda: stats_period(dates.get("from"), dates.get("to")))
    if raw["surge"]:
        level, _sep, key = raw["surge"].partition(":")
        if level not in surge_rule.LEVELS or not key or (level == "business" and not key.isdigit()):
            errors["surge"] = _("surge 应为 business:<id> 或 industry:<code>")
    if errors:
        raise InvalidInput(_("筛选条件有误"), fields=errors)
    f.values = {k: v for k, v in raw.items() if v}
    if f.region is not None and f.region == f.jurisdiction:
        f.values.pop("region", None)
    return f


def _unacknowledged() -> QuerySet[Urge]:
    return Urge.objects.filter(complaint=OuterRef("pk"), acknowledged_at__isnull=True)


# the queues that are a state: counted from the daily figures (by current state); "urge" is a moment's
QUEUE_STATES = {"review": State.PENDING_REVIEW, "mediation": State.MEDIATING, "failed": State.FAILED}


def queue_filter(queue: str, now: dt.datetime) -> Q:
    if queue in QUEUE_STATES:
        return Q(state=QUEUE_STATES[queue])
    if queue != "urge":
        raise KeyError(queue)
    due = overdue_filters(now)
    return Q(state__in=sorted(RECONCILING)) & (
        due["awaiting_first_response"] | due["near_settle_by"] | due["past_settle_by"])


def figure_filter(figure: str) -> Q:
    settled = Q(settled_at__isnull=False, delivered_at__isnull=False)
    return {
        "settled": settled,
        "failed": Q(scored_at__isnull=False, stars=0),
        "within_24h": settled & Q(settled_at__lte=F("delivered_at") + FAST_SETTLEMENT),
        "open": Q(state__in=sorted(OPEN_STATES)),
    }[figure]


def council_orders(user: Viewer, filters: OrderFilters, *, now: dt.datetime | None = None) -> QuerySet[Complaint]:
    """The orders ``user`` may see that match ``filters``, newest first, with
    what a row shows (business, region) and ``urge_open`` (an urge waiting)."""
    now = now or clock.now()
    v = filters.values
    qs = (Complaint.objects.visible_to(user).select_related("business", "region")
          .annotate(urge_open=Exists(_unacknowledged())))
    if filters.region is not None and filters.region != filters.jurisdiction:
        qs = qs.filter(**filters.region.subtree_filter())
    if v.get("q"):
        qs = qs.filter(Q(number__istartswith=v["q"]) | Q(order_ref__iexact=v["q"]))
    if v.get("queue"):
        qs = qs.filter(queue_filter(v["queue"], now))
    if v.get("state"):
        qs = qs.filter(state=v["state"])
    if v.get("figure"):
        qs = qs.filter(figure_filter(v["figure"]))
    if filters.industry is not None:
        qs = qs.filter(business__industry_id=filters.industry.pk)
    if filters.business is not None:
        qs = qs.filter(business_id=filters.business.pk)
    if v.get("from") or v.get("to"):
        start, end = stats_period(_date(v.get("from", ""), "from"), _date(v.get("to", ""), "to"))
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
    if v.get("overdue"):
        qs = qs.filter(overdue_filters(now)[v["overdue"]])
    if v.get("urged"):
        qs = qs.filter(urge_open=True)
    if v.get("surge"):
        level, _, key = v["surge"].partition(":")
        qs = qs.filter(created_at__gte=surge_rule.window(now).since, created_at__lt=now)
        qs = qs.filter(business_id=int(key)) if level == "business" else qs.filter(business__industry_id=key)
    return qs.order_by("-created_at", "-id")


def queue_counts(user: Viewer, *, now: dt.datetime | None = None) -> dict[str, int]:
    """How many orders wait in each queue of ``user``'s jurisdiction: the queues that are a state from
    the daily figures (every filing day), the orders to urge as of ``now`` from the orders themselves
    (the open orders of the jurisdiction only). Two queries."""
    from django.db.models import Sum

    now = now or clock.now()
    orders = Complaint.objects.visible_to(user)
    states = {}
    if access.is_overseer(user):  # a jurisdiction, or everywhere
        states = dict(daily.figure_rows(region=oversight_region(user, None))
                      .filter(state__in=QUEUE_STATES.values())
                      .values("state").annotate(n=Sum("total")).order_by().values_list("state", "n"))
    counts = {name: states.get(state) or 0 for name, state in QUEUE_STATES.items()}
    counts["urge"] = orders.filter(queue_filter("urge", now)).count()
    return {name: counts[name] for name in QUEUES}


def urgeable(complaint: Complaint) -> bool:
    return complaint.state in RECONCILING
