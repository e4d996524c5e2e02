"""The orders listed under each surge flag: the right ones, newest first, at most
``per_surge`` with the full count, within the region and what the user may see,
in one query however many surges there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hejie.oversight import surges as surge_rule
from hejie.oversight.surge_orders import surge_orders
from hejie.regions.models import Region
from tests.oversight.test_dashboard import order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)  # 2026-03-15 10:00 Shanghai
SINCE = NOW - dt.timedelta(days=3)


@dataclass(frozen=True)
class Flag:
    """Stands for a ``surges.Surge``: the selector reads only these fields."""

    level: str
    key: object
    since: dt.datetime = SINCE
    name: str = ""


@pytest.fixture
def world(make_business, make_user, council):
    """Wuhan: 江岸热干面 (7 orders in the window, 2 before), 江汉面馆 (2); Yichang: 宜昌面馆 (3);
    all catering; 江岸健身房 (another industry, 1)."""
    a = make_business("江岸热干面", region="420102", industry="catering")
    b = make_business("江汉面馆", region="420103", industry="catering")
    y = make_business("宜昌面馆", region="420502", industry="catering")
    gym = make_business("江岸健身房", region="420102", industry="entertainment")
    c = make_user("consumer")
    a_orders = [order(a, c, created=NOW - dt.timedelta(hours=h)) for h in (1, 5, 9, 13, 17, 21, 25)]
    a_old = [order(a, c, created=SINCE - dt.timedelta(seconds=1)), order(a, c, created=NOW - dt.timedelta(days=10))]
    b_orders = [order(b, c, created=NOW - dt.timedelta(hours=h)) for h in (2, 30)]
    y_orders = [order(y, c, created=NOW - dt.timedelta(hours=h)) for h in (3, 4, 6)]
    gym_orders = [order(gym, c, created=NOW - dt.timedelta(hours=7))]
    return {"a": a, "b": b, "y": y, "gym": gym, "a_orders": a_orders, "a_old": a_old, "b_orders": b_orders,
            "y_orders": y_orders, "gym_orders": gym_orders, "council": council,
            "wuhan": Region.objects.get(code="420100"), "operator": make_user("operator")}


def numbers(rows) -> list[str]:
    return [c.number for c in rows]


def test_a_business_surge_lists_its_newest_orders_and_counts_them_all(world):
    flag = Flag("business", world["a"].pk)
    found = surge_orders([flag], region=world["wuhan"], user=world["council"], now=NOW)
    rows, total = found[("business", world["a"].pk)]
    assert total == 7  # the two filed before the window are not behind the flag
    assert numbers(rows) == numbers(world["a_orders"][:5])  # newest first, five by default
    assert [r.created_at for r in rows] == sorted((r.created_at for r in rows), reverse=True)


def test_per_surge_limits_the_list_not_the_count(world):
    flag = Flag("business", world["a"].pk)
    rows, total = surge_orders([flag], region=world["wuhan"], user=world["council"], per_surge=2, now=NOW)[
        ("business", world["a"].pk)]
    assert numbers(rows) == numbers(world["a_orders"][:2]) and total == 7
    rows, total = surge_orders([flag], region=world["wuhan"], user=world["council"], per_surge=50, now=NOW)[
        ("business", world["a"].pk)]
    assert numbers(rows) == numbers(world["a_orders"]) and total == 7


def test_the_window_starts_at_since_and_ends_before_now(world):
    a = world["a"]
    first_old = world["a_old"][0]
    flag = Flag("business", a.pk, since=SINCE - dt.timedelta(seconds=1))  # the first old order is at the edge
    rows, total = surge_orders([flag], region=None, user=world["council"], per_surge=20, now=NOW)[("business", a.pk)]
    assert total == 8 and numbers(rows)[-1] == first_old.number
    # an hour and a half earlier, the newest order (1 h ago) is in the future
    rows, total = surge_orders([flag], region=None, user=world["council"], per_surge=20,
                               now=NOW - dt.timedelta(hours=1, minutes=30))[("business", a.pk)]
    assert total == 7 and world["a_orders"][0].number not in numbers(rows)


def test_an_industry_surge_spans_its_businesses_and_an_order_can_be_under_both_flags(world):
    flags = [Flag("business", world["a"].pk), Flag("industry", "catering")]
    found = surge_orders(flags, region=world["wuhan"], user=world["council"], per_surge=20, now=NOW)
    industry_rows, industry_total = found[("industry", "catering")]
    assert industry_total == 9  # 7 + 2 in Wuhan; Yichang's three are not in this region
    expected = sorted(world["a_orders"] + world["b_orders"], key=lambda c: c.created_at, reverse=True)
    assert numbers(industry_rows) == numbers(expected)
    business_rows, business_total = found[("business", world["a"].pk)]
    assert business_total == 7 and set(numbers(business_rows)) < set(numbers(industry_rows))
    assert world["gym_orders"][0].number not in numbers(industry_rows)


def test_the_region_narrows_the_lists(world):
    jianghan = Region.objects.get(code="420103")
    found = surge_orders([Flag("industry", "catering"), Flag("business", world["a"].pk)], region=jianghan,
                         user=world["council"], now=NOW)
    assert numbers(found[("industry", "catering")][0]) == numbers(world["b_orders"])
    assert found[("industry", "catering")][1] == 2
    assert found[("business", world["a"].pk)] == ([], 0)  # 江岸 is not in 江汉区


def test_a_yichang_order_is_never_in_a_wuhan_members_list(world):
    y = world["y"]
    flags = [Flag("business", y.pk), Flag("industry", "catering")]
    for region in (None, world["wuhan"], Region.objects.get(code="420500"), Region.objects.get(code="420000")):
        found = surge_orders(flags, region=region, user=world["council"], per_surge=50, now=NOW)
        assert found[("business", y.pk)] == ([], 0)
        listed = numbers(found[("industry", "catering")][0])
        assert not set(listed) & set(numbers(world["y_orders"])), region
    # an operator sees them, and a Yichang region narrows the operator's list to them
    found = surge_orders(flags, region=None, user=world["operator"], per_surge=50, now=NOW)
    assert found[("business", y.pk)][1] == 3 and found[("industry", "catering")][1] == 12
    found = surge_orders(flags, region=Region.objects.get(code="420500"), user=world["operator"], now=NOW)
    assert numbers(found[("industry", "catering")][0]) == numbers(world["y_orders"])


def test_someone_who_may_not_see_the_orders_gets_empty_lists(world, make_user):
    staff = make_user("business", business=world["b"])
    consumer = make_user("consumer")
    flags = [Flag("business", world["a"].pk), Flag("industry", "catering")]
    assert surge_orders(flags, user=consumer, now=NOW) == {("business", world["a"].pk): ([], 0),
                                                          ("industry", "catering"): ([], 0)}
    found = surge_orders(flags, user=staff, now=NOW)  # business staff: their own business's orders only
    assert found[("business", world["a"].pk)] == ([], 0)
    assert numbers(found[("industry", "catering")][0]) == numbers(world["b_orders"])


def test_the_rows_carry_no_consumer_data(world):
    rows, _ = surge_orders([Flag("business", world["a"].pk)], user=world["council"], now=NOW)[
        ("business", world["a"].pk)]
    deferred = rows[0].get_deferred_fields()
    assert {"consumer_id", "description"} <= deferred
    assert {"number", "created_at", "problem_type", "state"}.isdisjoint(deferred)


def test_one_query_for_one_surge_or_three(world):
    council = world["council"]
    council.region  # noqa: B018 - the jurisdiction, as the signed-in user has it loaded
    one = [Flag("business", world["a"].pk)]
    three = [Flag("business", world["a"].pk), Flag("business", world["b"].pk), Flag("industry", "catering")]
    counts = []
    for flags in (one, three):
        with CaptureQueriesContext(connection) as ctx:
            found = surge_orders(flags, region=world["wuhan"], user=council, now=NOW)
            for rows, _ in found.values():
                [(c.number, c.created_at, c.problem_type, c.state, c.forwarded_to) for c in rows]
        counts.append(len(ctx.captured_queries))
    assert counts == [1, 1]
    with CaptureQueriesContext(connection) as ctx:
        assert surge_orders([], region=world["wuhan"], user=council, now=NOW) == {}
    assert len(ctx.captured_queries) == 0


def test_it_lists_what_the_surge_rule_flags(world, traveller):
    wuhan = world["wuhan"]
    flagged = surge_rule.surges(region=wuhan, level="business") + surge_rule.surges(region=wuhan, level="industry")
    assert ("business", world["a"].pk) in {(s.level, s.key) for s in flagged}
    found = surge_orders(flagged, region=wuhan, user=world["council"])
    assert set(found) == {(s.level, s.key) for s in flagged}
    for s in flagged:
        assert found[(s.level, s.key)][1] == s.verdict.recent, s


def test_bad_arguments_are_refused(world):
    with pytest.raises(ValueError, match="per_surge"):
        surge_orders([Flag("business", world["a"].pk)], user=world["council"], per_surge=0)
    with pytest.raises(ValueError, match="level"):
        surge_orders([Flag("consumer", 1)], user=world["council"])
