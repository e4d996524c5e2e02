"""The orders behind surge flags, listed under each flag on the council's dashboard.

A surge (``hejie.oversight.surges``) names a business or an industry and the
instant ``since`` its recent window starts; the orders behind it are those of
that business (or of the businesses of that industry) filed since then and
before now, in the dashboard's region — the same orders the order list's
``surge=<level>:<key>`` filter shows (``hejie.oversight.orders``).

``surge_orders`` returns, for every surge, its most recent orders (newest
first, at most ``per_surge``) and how many there are, as ``user`` may see
them (``Complaint.objects.visible_to``). One query whatever the number of
surges: each row of the candidate orders gets, per level, its rank within its
surge (``ROW_NUMBER() OVER (PARTITION BY …)``) and its surge's size
(``COUNT(*) OVER (PARTITION BY …)``), and the outer query keeps the ranks up to
``per_surge``. An order behind both a business's and its industry's surge is
listed under both.

Only the fields a compact list shows are loaded (number, filing time, problem
type, state, ``forwarded_to``, business and region codes): no consumer data.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from typing import TYPE_CHECKING

from django.db.models import Case, CharField, Count, Expression, F, Q, Value, When, Window
from django.db.models.functions import Cast, RowNumber

from hejie.complaints.models import Complaint
from hejie.core import clock

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.oversight.surges import Surge
    from hejie.regions.models import Region

FIELDS = {"business": "business_id", "industry": "business__industry_id"}
LIST_FIELDS = ("id", "number", "created_at", "problem_type", "state", "forwarded_to", "business_id", "region_id")

SurgeKey = tuple[str, object]


def _condition(level: str, surges: list[Surge]) -> Q:
    """The orders behind any of ``surges`` (all of one level): filed since its start, of its key."""
    by_since: dict[dt.datetime, list[str]] = defaultdict(list)
    for s in surges:
        by_since[s.since].append(str(s.key))
    field = FIELDS[level]
    return reduce(operator.or_, (Q(**{f"{field}__in": [int(k) for k in keys] if level == "business" else keys,
                                      "created_at__gte": since})
                                 for since, keys in by_since.items()))


def surge_orders(surges: Iterable[Surge], *, region: Region | None = None, user: Viewer, per_surge: int = 5,
                 now: dt.datetime | None = None) -> dict[SurgeKey, tuple[list[Complaint], int]]:
    """``{(surge.level, surge.key): (newest orders, up to per_surge; how many in all)}`` for every surge,
    in ``region``'s subtree (everywhere if None) and as ``user`` may see them. One query (none without surges)."""
    if isinstance(per_surge, bool) or not isinstance(per_surge, int) or per_surge < 1:
        raise ValueError("per_surge must be a positive integer")
    surges = list(surges)
    result: dict[SurgeKey, tuple[list[Complaint], int]] = {(s.level, s.key): ([], 0) for s in surges}
    by_level: dict[str, list[Surge]] = defaultdict(list)
    for s in surges:
        if s.level not in FIELDS:
            raise ValueError(f"surge level must be one of {sorted(FIELDS)}, got {s.level!r}")
        by_level[s.level].append(s)
    if not surges:
        return result
    now = now or clock.now()

    qs = Complaint.objects.visible_to(user).filter(created_at__lt=now)
    if region is not None:
        qs = qs.filter(**region.subtree_filter())
    newest = [F("created_at").desc(), F("id").desc()]
    matched: list[Q] = []
    keep: list[Q] = []
    annotations: dict[str, Expression] = {}
    for level, found in by_level.items():
        cond = _condition(level, found)
        matched.append(cond)
        # the surge's key for the orders behind it, NULL for the others (one partition, never kept)
        key = Case(When(cond, then=Cast(FIELDS[level], output_field=CharField())), default=Value(None),
                   output_field=CharField())
        annotations[f"{level}_key"] = key
        annotations[f"{level}_rank"] = Window(RowNumber(), partition_by=[key], order_by=newest)
        annotations[f"{level}_total"] = Window(Count("id"), partition_by=[key])
        keep.append(Q(**{f"{level}_key__isnull": False, f"{level}_rank__lte": per_surge}))
    rows = (qs.filter(reduce(operator.or_, matched)).only(*LIST_FIELDS).annotate(**annotations)
            .filter(reduce(operator.or_, keep))
            .order_by("-created_at", "-id"))

    keys = {(s.level, str(s.key)): (s.level, s.key) for s in surges}
    for row in rows:
        for level in by_level:
            surge = keys.get((level, getattr(row, f"{level}_key")))
            if surge is None or getattr(row, f"{level}_rank") > per_surge:
                continue
            listed, _ = result[surge]
            listed.append(row)
            result[surge] = (listed, getattr(row, f"{level}_total"))
    return result
