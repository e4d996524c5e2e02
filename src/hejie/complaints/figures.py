"""The daily figures: the counts behind the council's dashboard, the open
figures and the surge rule, kept as orders change so that a province's month
is read from a few thousand summary rows instead of a quarter of a million orders.

Three tables (``hejie.complaints.models``), all by the day an order was *filed*
(its ``created_at`` as a calendar date in Asia/Shanghai):

* ``DayFigures`` — per region node, industry and current state: how many
  orders, and of those how many are settled (``settled_at`` and
  ``delivered_at`` set), failed (scored with 0 stars) and settled within 24
  hours of delivery. An order counts once at each level of its region
  (province, prefecture, county: ``region_l1/l2/l3``), so the figures of any
  region are its own rows (``node = code``) and the whole country's are the
  provinces' (``level = 1``).
* ``DaySettleTimes`` — per region node and industry: how many settled orders
  took ``bin`` tenths of an hour (to the nearest) from delivery to settlement. Medians and
  percentiles are read from it (see ``percentiles``).
* ``DayBusinessFigures`` — per business and the order's own region: how many,
  settled, failed. The council's top businesses and the surge rule read it.

How they are kept: ``consume`` is the event consumer of stage FIGURES
(``hejie.complaints.events``). At the end of each unit of work it takes every
order with an event in the batch, compares the counted columns (``FIELDS``) as
they were when the unit locked the order with what they are now, and adds the
difference with one upsert per changed row (``INSERT … ON CONFLICT … DO
UPDATE SET n = n + excluded.n``, the same SQL on SQLite and PostgreSQL),
merged over the batch. Rows are touched in one global order (table, then key),
so two transactions changing orders at once never wait for each other in a
cycle: a person's action is one unit, and the sweep, which ends a batch of
orders in one transaction, is one unit whose figures are written together at
its end. A unit whose orders' counted columns did not change (a message, a
timer) writes nothing here.

A write that is not a service's (``QuerySet.update``, ``bulk_create``, a
``save()`` by hand, raw SQL) tells no event and so changes no figure: after such
a write (a bulk import, a repair by hand), ``hejie figures rebuild`` recounts
everything from the orders with the same rule (``_contributions``), and ``hejie
figures check`` reports any difference without writing; ``add_orders`` counts
orders that were written in bulk and are not counted yet. A business that
changes industry keeps its earlier orders under the old industry until the
next rebuild.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias, overload

from django.db import connection, transaction
from django.db.models import QuerySet, Sum

from hejie.businesses.models import Business
from hejie.complaints import events
from hejie.complaints.models import Complaint, DayBusinessFigures, DayFigures, DaySettleTimes
from hejie.core import clock

if TYPE_CHECKING:
    from hejie.regions.models import Region

FAST_SETTLEMENT = dt.timedelta(hours=24)
BIN = dt.timedelta(minutes=6)  # a tenth of an hour: percentiles are within half of it (3 minutes) of exact
_US = dt.timedelta(microseconds=1)
_BIN_US = BIN // _US
_FAST_US = FAST_SETTLEMENT // _US

# the columns an order's contribution depends on (attribute names), in this order
FIELDS = ("created_at", "region_id", "region_l1", "region_l2", "region_l3", "business_id", "state",
          "delivered_at", "settled_at", "scored_at", "stars")

FIG, TIMES, BIZ = "figures", "times", "business"

Facts: TypeAlias = tuple[Any, ...]  # an order's FIELDS, in that order
Change: TypeAlias = tuple[Facts | None, Facts | None, Complaint]  # (before, after, the order); None: no order
Key: TypeAlias = tuple[str, tuple[Any, ...]]  # (table, a row's key columns)
Delta: TypeAlias = dict[Key, list[int]]  # the counted columns to add to each row
# the three tables (or, in a migration, their historical models: the same fields)
FigureModel: TypeAlias = type[DayFigures] | type[DaySettleTimes] | type[DayBusinessFigures]


# --------------------------------------------------------------------------- an order's contribution


def facts_of(instance: Complaint) -> Facts:
    return tuple(getattr(instance, name) for name in FIELDS)


def _facts_from(values: dict[str, Any] | None) -> Facts | None:
    """The counted columns from a ``Batch.before`` snapshot (None: the order is new)."""
    return None if values is None else tuple(values[name] for name in FIELDS)


def _outcome(facts: Facts) -> tuple[int, int, int, int | None]:
    """(settled, failed, within 24 h, 6-minute bin or None) of one order."""
    *_, delivered_at, settled_at, scored_at, stars = facts
    failed = int(scored_at is not None and stars == 0)
    if settled_at is None or delivered_at is None:
        return 0, failed, 0, None
    took = (settled_at - delivered_at) // _US
    return 1, failed, int(took <= _FAST_US), (took + _BIN_US // 2) // _BIN_US  # to the nearest 0.1 h


def _contributions(facts: Facts, industry: str, into: Delta, sign: int = 1) -> None:
    """Add what one order counts for to ``into`` ({(table, key): [values]}), or take it
    away (``sign=-1``)."""
    created_at, region_id, l1, l2, l3, business_id, state = facts[:7]
    day = clock.local_date(created_at)
    settled, failed, fast, bin_ = _outcome(facts)
    for level, node in ((1, l1), (2, l2), (3, l3)):
        if not node:
            continue
        _add(into, (FIG, (node, level, day, industry, state)), (1, settled, failed, fast), sign)
        if bin_ is not None:
            _add(into, (TIMES, (node, level, day, industry, bin_)), (1,), sign)
    if business_id is not None:
        _add(into, (BIZ, (business_id, day, region_id, l1, l2, l3)), (1, settled, failed), sign)


def _add(into: Delta, key: Key, values: tuple[int, ...], sign: int = 1) -> None:
    row = into.get(key)
    if row is None:
        into[key] = [sign * v for v in values]
    else:
        for i, v in enumerate(values):
            row[i] += sign * v


def _industries(changes: list[Change]) -> dict[int, str]:
    """The industry of every business the changes name: from the orders' loaded business
    where the services selected it (no query), the rest in one query."""
    ids = {f[5] for before, after, _ in changes for f in (before, after) if f is not None and f[5] is not None}
    out: dict[int, str] = {}
    for _, _, order in changes:
        business = order.business if Complaint.business.is_cached(order) else None  # loaded: no query
        if business is not None and business.pk in ids:
            out[business.pk] = business.industry_id
    missing = ids - out.keys()
    if missing:
        out.update(Business.objects.filter(pk__in=missing).values_list("pk", "industry_id"))
    return out


def _delta(changes: list[Change]) -> Delta:
    """What the figures gain and lose when each order goes from ``before`` to ``after``."""
    changes = [c for c in changes if c[0] != c[1]]
    if not changes:
        return {}
    industry = _industries(changes)
    delta: Delta = {}
    for before, after, _ in changes:
        if before is not None:
            _contributions(before, industry.get(before[5], ""), delta, -1)
        if after is not None:
            _contributions(after, industry.get(after[5], ""), delta)
    return {key: values for key, values in delta.items() if any(values)}


def consume(batch: events.Batch) -> None:
    """The event consumer (stage FIGURES): for every order with an event in the batch, the
    difference between what it counted for when the unit locked it and what it counts for
    now, merged over the batch and written in one statement per table."""
    _upsert(_delta([(_facts_from(batch.before(pk)), facts_of(order), order)
                    for pk, order in batch.orders().items()]))


def add_orders(orders: Iterable[Complaint]) -> None:
    """Count orders that were written without events (a bulk load, a snapshot in a test):
    each is added as it is now. For orders already counted use ``rebuild``."""
    _upsert(_delta([(None, facts_of(order), order) for order in orders]))


# --------------------------------------------------------------------------- writing


def _tables() -> dict[str, FigureModel]:
    return {FIG: DayFigures, TIMES: DaySettleTimes, BIZ: DayBusinessFigures}


_COLUMNS = {
    FIG: (("node", "level", "day", "industry", "state"), ("node", "day", "industry", "state"),
          ("total", "settled", "failed", "within_24h")),
    TIMES: (("node", "level", "day", "industry", "bin"), ("node", "day", "industry", "bin"), ("n",)),
    BIZ: (("business_id", "day", "region_id", "region_l1", "region_l2", "region_l3"),
          ("business_id", "day", "region_id"), ("total", "settled", "failed")),
}


def _params(table: str, key: tuple[Any, ...], values: Iterable[int]) -> list[Any]:
    day_at = _COLUMNS[table][0].index("day")
    cells = list(key)
    cells[day_at] = connection.ops.adapt_datefield_value(cells[day_at])
    return [*cells, *values]


def _upsert(delta: Delta) -> None:
    """Add ``delta`` to the rows, creating those that do not exist, in key order."""
    if not delta:
        return
    models = _tables()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in (FIG, TIMES, BIZ):
            keys = sorted((k for t, k in delta if t == table), key=_sort_key)
            if not keys:
                continue
            columns, conflict, counted = _COLUMNS[table]
            name = quote(models[table]._meta.db_table)
            every = [*columns, *counted]
            sql = (f"INSERT INTO {name} ({', '.join(quote(c) for c in every)}) "  # noqa: S608 - names only
                   f"VALUES ({', '.join(['%s'] * len(every))}) "
                   f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET "
                   + ", ".join(f"{quote(c)} = {name}.{quote(c)} + excluded.{quote(c)}" for c in counted))
            cursor.executemany(sql, [_params(table, k, delta[(table, k)]) for k in keys])


def _sort_key(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in key)


# --------------------------------------------------------------------------- rebuilding


def _recount(complaints: QuerySet[Complaint]) -> Iterator[tuple[dt.date, Delta]]:
    """Every order's contribution, a day of filing at a time (orders read in filing order)."""
    current: Delta = {}
    day: dt.date | None = None
    rows = complaints.order_by("created_at", "pk").values_list(*FIELDS, "business__industry_id")
    for row in rows.iterator(chunk_size=5000):
        facts, industry = row[:-1], row[-1] or ""
        row_day = clock.local_date(facts[0])
        if row_day != day and day is not None and current:
            yield day, current
            current = {}
        day = row_day
        _contributions(facts, industry, current)
    if current and day is not None:
        yield day, current


def _stored(day_rows: dict[str, QuerySet[Any]]) -> Delta:
    out: Delta = {}
    for table, qs in day_rows.items():
        columns, _, counted = _COLUMNS[table]
        for row in qs.values_list(*columns, *counted):
            values = list(row[len(columns):])
            if any(values):
                out[(table, tuple(row[:len(columns)]))] = values
    return out


def rebuild(*, complaints: QuerySet[Complaint] | None = None,
            tables: dict[str, FigureModel] | None = None) -> dict[str, int]:
    """Recount the three tables from the orders, in one transaction. On PostgreSQL
    writers to the orders wait until it is done (SHARE lock); SQLite has one
    writer anyway. Returns the rows written per table. ``complaints`` and
    ``tables`` let a migration pass its historical models."""
    complaints = complaints if complaints is not None else Complaint.objects.all()
    models = tables or _tables()
    written = {FIG: 0, TIMES: 0, BIZ: 0}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(complaints.model._meta.db_table)} "
                               "IN SHARE MODE")
        for model in models.values():
            model.objects.all().delete()
        for _day, counts in _recount(complaints):
            for table, model in models.items():
                rows = [_params(table, key, values) for (t, key), values in counts.items()
                        if t == table and any(values)]
                _insert(model, table, rows)
                written[table] += len(rows)
    return written


def _insert(model: FigureModel, table: str, rows: list[list[Any]]) -> None:
    """Plain inserts of fresh rows: COPY on PostgreSQL, one prepared statement elsewhere."""
    if not rows:
        return
    columns, _, counted = _COLUMNS[table]
    quote = connection.ops.quote_name
    name = quote(model._meta.db_table)
    every = ", ".join(quote(c) for c in (*columns, *counted))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({every}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {name} ({every}) VALUES ({', '.join(['%s'] * len(rows[0]))})",  # noqa: S608
                               rows)


def differences(limit: int = 20) -> list[str]:
    """What the tables hold that a recount would not (at most ``limit`` lines; empty when in step).
    A day of filing at a time, so that memory stays that of a day whatever the table."""
    models = _tables()
    out: list[str] = []
    seen: list[dt.date] = []

    def compare(expected: Delta, stored: Delta) -> None:
        for key in sorted(expected.keys() | stored.keys(), key=lambda k: (k[0], _sort_key(k[1]))):
            if expected.get(key) != stored.get(key) and len(out) < limit:
                out.append(f"{key[0]} {key[1]}: kept {stored.get(key)}, recounted {expected.get(key)}")

    for day, counts in _recount(Complaint.objects.all()):
        seen.append(day)
        compare({k: v for k, v in counts.items() if any(v)},
                _stored({table: model.objects.filter(day=day) for table, model in models.items()}))
        if len(out) >= limit:
            return out
    # rows of days on which no order was filed at all
    compare({}, _stored({table: model.objects.exclude(day__in=seen) for table, model in models.items()}))
    return out


# --------------------------------------------------------------------------- reading


@overload
def figure_rows(*, region: Region | None = None, nodes: list[str] | None = None, industry: str | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                model: None = None) -> QuerySet[DayFigures]: ...
@overload
def figure_rows(*, region: Region | None = None, nodes: list[str] | None = None, industry: str | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                model: type[DaySettleTimes]) -> QuerySet[DaySettleTimes]: ...
def figure_rows(*, region: Region | None = None, nodes: list[str] | None = None, industry: str | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                model: type[DaySettleTimes] | None = None) -> QuerySet[DayFigures] | QuerySet[DaySettleTimes]:
    """The ``DayFigures`` (or ``DaySettleTimes``) rows of a region's subtree (None: the
    whole country; or of each region in ``nodes``, by code), an industry (code) and
    the filing days ``date_from``–``date_to``."""
    table: type[DayFigures] | type[DaySettleTimes] = DayFigures if model is None else model
    qs: QuerySet[DayFigures] | QuerySet[DaySettleTimes]
    if nodes is not None:
        qs = table.objects.filter(node__in=nodes)
    elif region is not None:
        qs = table.objects.filter(node=region.code)
    else:
        qs = table.objects.filter(level=1)
    if industry:
        qs = qs.filter(industry=industry)
    if date_from is not None:
        qs = qs.filter(day__gte=date_from)
    if date_to is not None:
        qs = qs.filter(day__lte=date_to)
    return qs


def business_rows(*, region: Region | None = None, date_from: dt.date | None = None,
                  date_to: dt.date | None = None) -> QuerySet[DayBusinessFigures]:
    qs = DayBusinessFigures.objects.all()
    if region is not None:
        qs = qs.filter(**region.subtree_filter())
    if date_from is not None:
        qs = qs.filter(day__gte=date_from)
    if date_to is not None:
        qs = qs.filter(day__lte=date_to)
    return qs


COUNTS = {"total": Sum("total"), "settled": Sum("settled"), "failed": Sum("failed")}


def percentiles(fractions: Iterable[float], **scope: Any) -> list[float | None]:
    """The ``percentile_cont`` of delivery → settlement, in hours, for each fraction,
    over the settled orders of the scope (``figure_rows``'s arguments); None when
    there are none. One query.

    Each settled order's time is taken to the nearest tenth of an hour (its bin),
    then the percentile is PostgreSQL's ``percentile_cont``: the value at position
    ``fraction × (n − 1)`` of the ordered values, interpolated linearly between
    the two closest. Every value is within 3 minutes (0.05 h) of the order's own,
    so the result is within 0.05 h of the exact percentile (and exact when the
    times are whole tenths of an hour)."""
    bins = list(figure_rows(model=DaySettleTimes, **scope).values("bin").annotate(count=Sum("n"))
                .filter(count__gt=0).order_by("bin").values_list("bin", "count"))
    n = sum(count for _, count in bins)
    out: list[float | None] = []
    for fraction in fractions:
        if not n:
            out.append(None)
            continue
        position = fraction * (n - 1)
        lo, hi = math.floor(position), math.ceil(position)
        a, b = _value_at(bins, lo), _value_at(bins, hi)
        out.append(a + (b - a) * (position - lo))
    return out


def _value_at(bins: list[tuple[int, int]], rank: int) -> float:
    """The hours of the ``rank``-th (from 0) settled order, to the nearest tenth."""
    seen = 0
    for bin_, count in bins:
        seen += count
        if rank < seen:
            return bin_ * BIN.total_seconds() / 3600
    raise IndexError(rank)


def by_day(**scope: Any) -> dict[dt.date, dict[str, int]]:
    """total, settled and failed per filing day of the scope. One query."""
    return {row.pop("day"): row for row in
            figure_rows(**scope).values("day").annotate(**COUNTS).order_by("day")}


def rows_by_state(**scope: Any) -> dict[str, dict[str, int]]:
    """Per state: total, settled, failed and within_24h over the scope. One query."""
    return {row.pop("state"): row for row in figure_rows(**scope).values("state").annotate(
        **COUNTS, within_24h=Sum("within_24h")).order_by()}
