import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hejie.businesses.models import Business
from hejie.complaints import services as svc
from hejie.ops.sweep import sweep
from hejie.ratings.models import BlacklistEntry
from hejie.ratings.services import rating_compute
from tests.conftest import T0

D = dt.timedelta(days=1)
H = dt.timedelta(hours=1)


@pytest.fixture
def world(make_business, make_user):
    biz = make_business()
    return {"biz": biz, "staff": make_user("business", business=biz)}


def file(biz, make_user, ref="x"):
    return svc.complaint_submit(consumer=make_user("consumer"), business_id=biz.pk, problem_type="quality",
                                description="质量问题，要求退款处理。", claim_type="refund", claim_amount=10,
                                order_ref=ref)


def settle(t, c, staff, after):
    t.move_to(c.delivered_at + after - H)
    p = svc.proposal_make(actor=staff, complaint=c, terms="退款", amount=10)
    t.move_to(c.delivered_at + after)
    svc.proposal_accept(actor=c.consumer, complaint=c, proposal_id=p.pk)


def test_index_is_shrunk_toward_the_prior_and_matches_a_recomputation(world, make_user):
    biz, staff = world["biz"], world["staff"]
    with time_machine.travel(T0, tick=False) as t:
        cases = [file(biz, make_user) for _ in range(4)]
        settle(t, cases[0], staff, 2 * H)  # 5 stars, 10 points
        settle(t, cases[1], staff, 2 * D)  # 4 stars, 8 points
        settle(t, cases[2], staff, 5 * D)  # 3 stars, 6 points
        svc.complaint_refuse(actor=staff, complaint=cases[3], reason="不同意")  # 0, 0
        b = Business.objects.get(pk=biz.pk)
        # (5*6 + 10+8+6+0) / (5+4) = 54/9 = 6.00 ; stars (5*3 + 5+4+3+0) / 9 = 27/9 = 3.00
        assert b.credit_index == Decimal("6.00") and b.star_rating == Decimal("3.00")
        assert b.rated_cases == 4
        from hejie.core import clock

        r = rating_compute(business_id=biz.pk, now=clock.now())
        assert r["failed"] == 1 and r["points_total"] == 24


def test_a_business_with_no_case_is_unrated(world):
    r = rating_compute(business_id=world["biz"].pk, now=T0)
    assert r["cases"] == 0 and r["credit_index"] is None
    assert Business.objects.get(pk=world["biz"].pk).credit_index is None


def test_cases_leave_the_window_after_365_days_via_the_sweep(world, make_user):
    biz, staff = world["biz"], world["staff"]
    with time_machine.travel(T0, tick=False) as t:
        c = file(biz, make_user)
        svc.complaint_refuse(actor=staff, complaint=c, reason="不同意")
        scored = c.delivered_at
        b = Business.objects.get(pk=biz.pk)
        assert b.credit_index == Decimal("5.00") and b.rating_expires_at == scored + 365 * D
        t.move_to(scored + 365 * D)
        assert sweep().ratings_refreshed == 1
        assert Business.objects.get(pk=biz.pk).rated_cases == 0
        assert Business.objects.get(pk=biz.pk).credit_index is None
        assert sweep().ratings_refreshed == 0


def test_three_failures_in_90_days_make_a_blacklist_candidate(world, make_user):
    biz, staff = world["biz"], world["staff"]
    with time_machine.travel(T0, tick=False) as t:
        for i in range(2):
            c = file(biz, make_user, ref=str(i))
            svc.complaint_refuse(actor=staff, complaint=c, reason="不同意")
            t.shift(30 * D)
        assert not BlacklistEntry.objects.exists()
        c = file(biz, make_user, ref="third")
        svc.complaint_refuse(actor=staff, complaint=c, reason="不同意")
        entry = BlacklistEntry.objects.get()
        assert entry.status == "candidate" and entry.rule == "failed_cases" and entry.cases.count() == 3


def test_failures_outside_the_window_do_not_count(world, make_user):
    biz, staff = world["biz"], world["staff"]
    with time_machine.travel(T0, tick=False) as t:
        for i in range(3):
            c = file(biz, make_user, ref=str(i))
            svc.complaint_refuse(actor=staff, complaint=c, reason="不同意")
            t.shift(45 * D + H)  # 0, 45 d, 90 d + 2 h: the first has left the 90-day window
        assert not BlacklistEntry.objects.exists()


def test_never_taking_up_a_complaint_makes_a_candidate(world, make_user):
    biz = world["biz"]
    with time_machine.travel(T0, tick=False) as t:
        c = file(biz, make_user)
        t.move_to(c.delivered_at + 14 * D + dt.timedelta(seconds=1))
        sweep()
        entry = BlacklistEntry.objects.get()
        assert entry.rule == "never_took_up" and list(entry.cases.all()) == [c]
        assert entry.status == "candidate"  # nothing is published without a person


def test_breakdown_says_which_cases_cost_what(world, make_user):
    from hejie.ratings.selectors import rating_breakdown

    biz, staff = world["biz"], world["staff"]
    with time_machine.travel(T0, tick=False) as t:
        a, b, c = (file(biz, make_user, ref=r) for r in "abc")
        settle(t, a, staff, 2 * H)
        settle(t, b, staff, 2 * D)
        svc.complaint_refuse(actor=staff, complaint=c, reason="不同意")
        bd = rating_breakdown(business=Business.objects.get(pk=biz.pk))
    assert bd["cases"] == 3 and bd["tiers"] == {5: 1, 4: 1, 3: 0, 2: 0, 0: 1}
    costs = {x["number"]: x["cost"] for x in bd["cases_listed"]}
    assert costs == {a.number: 0, b.number: 2, c.number: 10}
    assert bd["median_hours_to_settle"] == pytest.approx((2 + 48) / 2)
    assert bd["settlement_rate"] == pytest.approx(2 / 3, abs=0.001)
    assert bd["credit_index"] == Decimal("6.00")  # (30 + 10 + 8 + 0) / 8
    assert "24小时" in bd["explanation"]


def test_after_a_dismissal_only_new_failures_count(world, make_user):
    biz, staff = world["biz"], world["staff"]
    with time_machine.travel(T0, tick=False) as t:
        for i in range(3):
            svc.complaint_refuse(actor=staff, complaint=file(biz, make_user, ref=f"a{i}"), reason="不同意")
            t.shift(H)
        entry = BlacklistEntry.objects.get()
        from hejie.core import clock

        BlacklistEntry.objects.filter(pk=entry.pk).update(status="dismissed", decided_at=clock.now())
        t.shift(H)
        svc.complaint_refuse(actor=staff, complaint=file(biz, make_user, ref="b0"), reason="不同意")
        assert BlacklistEntry.objects.filter(status="candidate").count() == 0  # the old three do not count again
        for i in range(1, 3):
            t.shift(H)
            svc.complaint_refuse(actor=staff, complaint=file(biz, make_user, ref=f"b{i}"), reason="不同意")
        fresh = BlacklistEntry.objects.get(status="candidate")
        assert fresh.cases.count() == 3
