"""The surge rule on made-up series with known answers, and the selector on real orders
(filed through the services on a travelling clock, so that the daily figures count them)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
import time_machine

from hejie.oversight import surges
from hejie.oversight.surges import assess, poisson_sf

# --- the Poisson tail against closed forms and published table values -----------------------

@pytest.mark.parametrize(("k", "lam", "expected"), [
    (0, 3.0, 1.0),
    (1, 1.0, 1 - math.exp(-1)),  # 0.632120...
    (3, 2.0, 1 - 5 * math.exp(-2)),  # 1 - e^-2 (1 + 2 + 2)
    (5, 0.1, 1 - math.exp(-0.1) * (1 + 0.1 + 0.1 ** 2 / 2 + 0.1 ** 3 / 6 + 0.1 ** 4 / 24)),
    (20, 10.0, 0.0034543),  # tables: P(X >= 20 | 10)
    (15, 10.0, 0.0834584),  # tables: P(X >= 15 | 10)
])
def test_poisson_tail_matches_known_values(k, lam, expected):
    assert poisson_sf(k, lam) == pytest.approx(expected, rel=1e-4, abs=1e-12)


def test_poisson_tail_of_a_far_count_is_tiny_but_not_zero():
    assert 0 < poisson_sf(60, 3.0) < 1e-40


# --- the rule on series whose answer is known ----------------------------------------------

def test_a_quiet_business_whose_complaints_jump_is_flagged():
    # one a day for four weeks (28), then 11 in three days (expected 3): p = 0.00029
    verdict = assess(recent=11, baseline=28)
    assert verdict.expected == pytest.approx(3.0)
    assert verdict.flagged
    assert verdict.p_value == pytest.approx(0.000292, rel=1e-2)
    # 10 would be p = 0.0011: just not rare enough
    assert not assess(recent=10, baseline=28).flagged


def test_a_busy_industry_with_ordinary_noise_is_not_flagged():
    # twenty a day (560 in 28 days): 66 in three days is within its normal (expected 60)
    assert not assess(recent=66, baseline=560).flagged


def test_a_significant_but_small_rise_on_a_large_base_is_not_flagged():
    # 100 a day; 360 in three days is significant (p < 0.001) but only 1.2 × normal
    verdict = assess(recent=360, baseline=2800)
    assert verdict.p_value < surges.ALPHA
    assert not verdict.flagged


def test_a_new_business_is_flagged_from_the_minimum_count():
    assert not assess(recent=surges.MIN_COUNT - 1, baseline=0).flagged
    assert assess(recent=surges.MIN_COUNT, baseline=0).flagged


def test_expected_follows_how_long_the_window_has_lasted():
    # at midnight the recent window has lasted two days, at the end of today three
    assert assess(recent=0, baseline=28, days=2).expected == pytest.approx(2.0)
    assert assess(recent=0, baseline=28, days=2.5).expected == pytest.approx(2.5)
    # nine complaints by midnight of the third day are a surge (p = 0.00024 against 2 expected);
    # the same nine at its end are not (p = 0.0038 against 3)
    assert assess(recent=9, baseline=28, days=2).flagged
    assert not assess(recent=9, baseline=28, days=3).flagged


def test_a_steady_busy_business_needs_a_real_rise():
    # 2 a day (56): 9 in three days (expected 6) is not a surge; 16 is
    assert not assess(recent=9, baseline=56).flagged
    assert assess(recent=16, baseline=56).flagged


# --- the selector over orders in the database ------------------------------------------------

NOW = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
SINCE = dt.datetime(2026, 3, 13, tzinfo=surges.clock.SHANGHAI)  # the recent window: the 13th, 14th and 15th


def test_the_window_is_today_and_the_two_days_before():
    w = surges.window(NOW)
    assert (w.recent_from, w.today, w.since) == (dt.date(2026, 3, 13), dt.date(2026, 3, 15), SINCE)
    assert w.baseline_from == dt.date(2026, 2, 13)  # 28 days: 13 February to 12 March
    assert w.days == pytest.approx(2 + 10 / 24)
    assert surges.window(SINCE + dt.timedelta(days=2)).days == 2  # midnight starting the 15th


@pytest.fixture
def orders(make_user, file_complaint):
    """``orders(business, n, at)``: n orders against ``business`` filed at ``at`` (each by its own consumer)."""
    counter = iter(range(10_000))

    def make(biz, n: int, at: dt.datetime) -> None:
        for _ in range(n):
            who = make_user("consumer", phone=f"139{next(counter):08d}")
            with time_machine.travel(at, tick=False):
                file_complaint(who=who, biz=biz, order_ref=f"R{next(counter)}")

    return make


def test_the_selector_flags_the_surging_business_only(orders, make_business):
    surging = make_business("突然关门的健身房", industry="entertainment")
    steady = make_business("稳定的面馆")
    elsewhere = make_business("宜昌的店", region="420502")
    recent = NOW - dt.timedelta(hours=30)
    old = NOW - dt.timedelta(days=10)
    orders(surging, 6, recent)
    orders(steady, 5, recent)
    orders(steady, 40, old)  # 40 in the baseline: 5 in three days is its normal
    orders(elsewhere, 6, recent)

    from hejie.regions.models import Region

    wuhan = Region.objects.get(code="420100")
    found = surges.surges(region=wuhan, now=NOW)
    assert [(s.level, s.key, s.verdict.recent) for s in found] == [("business", surging.pk, 6)]
    assert found[0].name == "突然关门的健身房"
    assert found[0].since == SINCE
    # Hubei sees Yichang's too; by industry, entertainment and catering both rise in Hubei
    hubei = Region.objects.get(code="420000")
    assert {s.key for s in surges.surges(region=hubei, now=NOW)} == {surging.pk, elsewhere.pk}
    industries = {s.key: s for s in surges.surges(region=wuhan, level="industry", now=NOW)}
    assert "entertainment" in industries and "catering" not in industries
    assert industries["entertainment"].name.endswith(")")  # "中文 (english)", as the pages pick from


def test_the_window_edges_are_exact(orders, make_business):
    biz = make_business("边界测试店")
    orders(biz, surges.MIN_COUNT - 1, NOW - dt.timedelta(hours=1))
    orders(biz, 1, SINCE - dt.timedelta(microseconds=1))  # 23:59:59.999999 on the 12th: baseline
    assert surges.surges(now=NOW) == []
    other = make_business("边界测试店二")
    orders(other, surges.MIN_COUNT - 1, NOW - dt.timedelta(hours=1))
    orders(other, 1, SINCE)  # midnight starting the 13th: recent
    assert [s.key for s in surges.surges(now=NOW)] == [other.pk]


def test_a_bad_level_is_refused():
    with pytest.raises(ValueError, match="level"):
        surges.surges(level="consumer")
