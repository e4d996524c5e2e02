"""The council dashboard's figures on a known small data set (exact numbers,
the p90 and the 24-hour share included), the percentiles of the daily
distribution against exact ones, trends bucketed at Asia/Shanghai midnights,
and the query count pinned against growth."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hejie.complaints import figures
from hejie.complaints.models import Complaint
from hejie.oversight import dashboard as dash
from hejie.regions.models import Region

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 4, 0, tzinfo=UTC)  # 2026-03-20 12:00 Shanghai
_n = itertools.count(1)


def order(business, consumer, *, created, state="delivered", delivered=True, first_response=None, settled_after=None,
          failed=False, region=None):
    """An order as the engine would have left it (a state snapshot), counted in the daily figures
    as a bulk load is (it tells no event)."""
    n = next(_n)
    region = Region.objects.get(code=region) if region else business.region if business else None
    delivered_at = created if delivered and business else None
    fields = dict(
        number=f"T-{n:06d}", consumer=consumer, business=business, region=region, region_l1=region.l1,
        region_l2=region.l2, region_l3=region.l3, problem_type="quality", description="测试投诉内容，要求退款。",
        claim_type="refund", claim_amount="10", matter_key=f"m{n}", state=state, created_at=created,
        delivered_at=delivered_at, business_name_given="" if business else "未入驻小店",
    )
    if delivered_at:
        fields.update(respond_by=delivered_at + dt.timedelta(hours=24), settle_by=delivered_at + dt.timedelta(days=14))
    if first_response:
        fields["first_response_at"] = first_response
    if settled_after is not None:
        settled = delivered_at + settled_after
        fields.update(state="settled", settled_at=settled, outcome_at=settled, scored_at=settled,
                      stars=5 if settled_after <= dt.timedelta(hours=24) else 4, credit_points=8,
                      first_response_at=delivered_at)
    if failed:
        end = delivered_at + dt.timedelta(days=14, seconds=1)
        fields.update(state="failed", outcome_at=end, scored_at=end, stars=0, credit_points=0)
    created_order = Complaint.objects.create(**fields)
    figures.add_orders([created_order])
    return created_order


@pytest.fixture
def world(make_business, make_user):
    """Wuhan (420100): 江岸区 420102 and 江汉区 420103; Yichang (420500) outside."""
    a = make_business("江岸热干面", region="420102", industry="catering")
    b = make_business("江汉健身房", region="420103", industry=_other_industry())
    y = make_business("宜昌商店", region="420502")
    c = make_user("consumer")
    day = dt.datetime(2026, 3, 18, 2, 0, tzinfo=UTC)  # 2026-03-18 10:00 Shanghai
    for hours in (1, 2, 10, 30, 100):  # settled: median 10 h, p90 = 30 + 0.6 × 70 = 72 h, 3 of 5 within 24 h
        order(a, c, created=day - dt.timedelta(days=6), settled_after=dt.timedelta(hours=hours))
    order(b, c, created=day - dt.timedelta(days=20), failed=True)
    order(b, c, created=day - dt.timedelta(days=18), failed=True)
    order(a, c, created=day)  # delivered, no answer: past 24 h at NOW
    order(None, c, created=day, state="pending_review", region="420102")
    for _ in range(3):  # outside the jurisdiction: never counted
        order(y, c, created=day, failed=True)
    return {"a": a, "b": b, "y": y, "consumer": c}


def _other_industry():
    from hejie.businesses.models import Industry

    return Industry.objects.exclude(code="catering").order_by("position").first().code


def period(days=30):
    return dash.period_of(days=days, today=dt.date(2026, 3, 20))


def test_the_figures_on_a_known_data_set(world):
    board = dash.dashboard(region=Region.objects.get(code="420100"), period=period(), now=NOW)
    f = board["figures"]
    assert f["total"] == 9
    assert f["settled"] == 5
    assert f["failed"] == 2
    assert f["settlement_rate"] == round(5 / 9, 4)
    assert f["median_hours_to_settle"] == 10.0
    assert f["p90_hours_to_settle"] == 72.0
    assert f["settled_within_24h"] == 3
    assert f["settled_within_24h_share"] == 0.6
    assert f["by_state"]["pending_review"] == 1 and f["by_state"]["delivered"] == 1
    assert f["overdue"]["awaiting_first_response"] == 1
    assert f["open"] == 2
    subs = {row["region"].code: row for row in board["subregions"]}
    assert subs["420102"]["total"] == 7 and subs["420102"]["settled"] == 5
    assert subs["420103"]["total"] == 2 and subs["420103"]["failed"] == 2
    assert subs["420104"]["total"] == 0  # a district without orders is listed with zeros
    industries = {row["code"]: row["total"] for row in board["industries"]}
    assert industries == {"catering": 6, _other_industry(): 2}
    assert [r["name"] for r in board["businesses"]] == ["江岸热干面", "江汉健身房"]
    assert [(r["name"], r["failed"]) for r in board["failing"]] == [("江汉健身房", 2)]


def test_the_period_narrows_the_set(world):
    board = dash.dashboard(region=Region.objects.get(code="420100"), period=period(7), now=NOW)
    # 14-20 March: the two filed on the 18th; the settled ones (12 March) and the failed ones fall outside
    assert board["figures"]["total"] == 2
    assert board["figures"]["settled"] == 0 and board["figures"]["failed"] == 0
    assert board["figures"]["p90_hours_to_settle"] is None


YICHANG_DAY = dt.date(2026, 1, 5)


def _percentile(fraction, **scope):
    (value,) = figures.percentiles([fraction], **scope)
    return value


def _exact(values, fraction):
    """PostgreSQL's percentile_cont, in Python."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lo, hi = math.floor(position), math.ceil(position)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([5], 0.9, 5), ([1, 2], 0.9, 1.9), ([1, 2, 3, 4], 0.5, 2.5), ([1, 2, 3, 4, 100], 0.9, 61.6),
    ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9, 91), ([0.1, 0.2, 0.3], 0.5, 0.2),
])
def test_percentile_is_percentile_cont_on_whole_tenths(world, values, fraction, expected):
    c, biz = world["consumer"], world["y"]
    start = dt.datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    for h in values:
        order(biz, c, created=start, settled_after=dt.timedelta(hours=h))
    yichang = Region.objects.get(code="420500")
    assert _percentile(fraction, region=yichang, date_from=YICHANG_DAY, date_to=YICHANG_DAY) == (
        pytest.approx(expected))


def test_percentile_is_within_three_minutes_of_exact(world):
    c, biz = world["consumer"], world["y"]
    rng = random.Random(7)
    start = dt.datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    took = [dt.timedelta(seconds=rng.randrange(1, 14 * 86400)) for _ in range(41)]
    took += [dt.timedelta(minutes=3) - dt.timedelta(microseconds=1), dt.timedelta(minutes=3)]  # a bin's edge
    for t in took:
        order(biz, c, created=start, settled_after=t)
    hours = [t.total_seconds() / 3600 for t in took]
    yichang = Region.objects.get(code="420500")
    for fraction in (0.1, 0.5, 0.9, 0.99):
        got = _percentile(fraction, region=yichang, date_from=YICHANG_DAY, date_to=YICHANG_DAY)
        assert abs(got - _exact(hours, fraction)) <= 0.05 + 1e-9, fraction


def test_no_settled_order_has_no_percentile(world):
    assert figures.percentiles([0.5, 0.9], region=Region.objects.get(code="420500")) == [None, None]


def _shanghai(y, m, d, h=0, mi=0, s=0):
    return dt.datetime(y, m, d, h, mi, s, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_trends_bucket_at_shanghai_midnight(world):
    c, biz = world["consumer"], world["y"]
    old = list(Complaint.objects.filter(business=biz).values_list("pk", flat=True))
    # 23:59:59 on Sunday 15 March and 00:00:00 on Monday 16 March, Shanghai time
    order(biz, c, created=_shanghai(2026, 3, 15, 23, 59, 59))
    order(biz, c, created=_shanghai(2026, 3, 16, 0, 0, 0), settled_after=dt.timedelta(hours=1))
    # 28 February 23:59:59 and 1 March 00:00, Shanghai time (16:00 UTC the day before)
    order(biz, c, created=_shanghai(2026, 2, 28, 23, 59, 59), failed=True)
    order(biz, c, created=_shanghai(2026, 3, 1, 0, 0, 0))
    assert Complaint.objects.filter(pk__in=old, created_at__date__lte=dt.date(2026, 3, 17)).count() == 0
    yichang = Region.objects.get(code="420500")
    p = dash.period_of(date_from=dt.date(2026, 2, 27), date_to=dt.date(2026, 3, 17), today=dt.date(2026, 3, 20))
    days = {t["start"]: (t["filed"], t["settled"], t["failed"]) for t in dash.trends(p, "day", region=yichang)}
    assert days[dt.date(2026, 3, 15)] == (1, 0, 0)
    assert days[dt.date(2026, 3, 16)] == (1, 1, 0)
    assert days[dt.date(2026, 2, 28)] == (1, 0, 1)
    assert days[dt.date(2026, 3, 1)] == (1, 0, 0)
    assert len(days) == 19 and sum(v[0] for v in days.values()) == 4
    weeks = {t["start"]: t["filed"] for t in dash.trends(p, "week", region=yichang)}
    assert weeks[dt.date(2026, 2, 23)] == 2  # Sat 28 Feb and Sun 1 Mar: the same ISO week
    assert weeks[dt.date(2026, 3, 9)] == 1  # Sunday 15 March 23:59:59
    assert weeks[dt.date(2026, 3, 16)] == 1  # Monday 16 March 00:00
    months = {t["start"]: t["filed"] for t in dash.trends(p, "month", region=yichang)}
    assert months == {dt.date(2026, 2, 1): 1, dt.date(2026, 3, 1): 3}


def _count(region, now=NOW) -> int:
    with CaptureQueriesContext(connection) as ctx:
        dash.dashboard(region=region, period=period(), now=now)
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow(world, make_business):
    wuhan = Region.objects.get(code="420100")
    first = _count(wuhan)
    c = world["consumer"]
    day = dt.datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
    for code in ("420104", "420105", "420106", "420107"):  # more districts, businesses, orders of every kind
        for k in range(3):
            biz = make_business(region=code)
            order(biz, c, created=day - dt.timedelta(days=k), settled_after=dt.timedelta(hours=k + 1))
            order(biz, c, created=day - dt.timedelta(days=k + 15), failed=True)
            order(biz, c, created=day)
    assert _count(wuhan) == first
    # the same on both databases: the figures (3, with the overdue counts), the sub-regions (2),
    # the industries (2), the top businesses by complaints and by failed cases (2 each), the trend (1),
    # the surges (2)
    assert first == 14, first
