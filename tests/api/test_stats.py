"""/api/v1/stats against a small dataset computed by hand.

    A  武汉热干面馆 (江岸区 420102, catering), all filed at T0 (2026-03-15 10:00 Shanghai):
       a1 settled after 2 h · a2 after 30 h · a3 after 120 h · a4 refused (failed)
       a5 never answered · a6 answered (negotiating)
    C  武昌百货 (武昌区 420106, retail): c1 filed at T0 + 1 day (2026-03-16), settled after 10 h
    B  宜昌三峡面馆 (宜昌 420502, catering): b1 settled after 1 h

    Wuhan 420100, all industries: 7 orders, settled 4 (2, 10, 30, 120 h) → median 20 h,
      within 24 h 2 of 4, failed 1, settlement rate 4/7
    Wuhan, catering: 6 orders, settled 3 (2, 30, 120 h) → median 30 h, within 24 h 1 of 3, rate 3/6
    Hubei 420000: 8 orders, settled 5 (1, 2, 10, 30, 120 h) → median 10 h, within 24 h 3 of 5, rate 5/8
"""

import datetime as dt

import pytest

from hejie.complaints import services as svc
from hejie.complaints.stats import stats_period
from hejie.core.errors import InvalidInput
from hejie.ops.sweep import sweep
from tests.conftest import T0

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def file(make_user, biz, ref):
    return svc.complaint_submit(
        consumer=make_user("consumer"), business_id=biz.pk, problem_type="quality",
        description="商品质量问题，要求退款。", claim_type="refund", claim_amount="10.00", order_ref=ref,
    )


def settle(traveller, complaint, staff, after):
    traveller.move_to(complaint.delivered_at + after - dt.timedelta(minutes=30))
    p = svc.proposal_make(actor=staff, complaint=complaint, terms="退款", amount="10.00")
    traveller.move_to(complaint.delivered_at + after)
    svc.proposal_accept(actor=complaint.consumer, complaint=complaint, proposal_id=p.pk)


@pytest.fixture
def world(traveller, make_business, make_user):
    a = make_business("武汉热干面馆", region="420102")
    b = make_business("宜昌三峡面馆", region="420502")
    c = make_business("武昌百货", region="420106", industry="retail")
    sa, sb, sc = (make_user("business", business=x) for x in (a, b, c))
    a1, a2, a3, a4, a5, a6 = (file(make_user, a, f"a{i}") for i in range(1, 7))
    b1 = file(make_user, b, "b1")
    svc.complaint_refuse(actor=sa, complaint=a4, reason="不同意退款")
    traveller.move_to(T0 + H)
    svc.message_post(actor=sa, complaint=a6, body="我们正在核实。")
    settle(traveller, b1, sb, 1 * H)
    settle(traveller, a1, sa, 2 * H)
    traveller.move_to(T0 + D)
    c1 = file(make_user, c, "c1")
    settle(traveller, c1, sc, 10 * H)
    settle(traveller, a2, sa, 30 * H)
    settle(traveller, a3, sa, 120 * H)
    traveller.move_to(T0 + 13 * D)
    return {"a5": a5, "a6": a6}


def test_public_figures_for_wuhan(api, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        r = api.get("/stats", region="420100")
    assert r.status_code == 200, r.json()
    s = r.json()
    assert s["region"] == {"code": "420100", "name": "湖北省武汉市"} and s["industry"] is None
    assert s["total"] == 7
    assert {k: v for k, v in s["by_state"].items() if v} == {"settled": 4, "failed": 1, "delivered": 1,
                                                             "negotiating": 1}
    assert (s["settled"], s["failed"], s["settled_within_24h"]) == (4, 1, 2)
    assert s["settlement_rate"] == pytest.approx(4 / 7, abs=1e-4)
    assert s["settled_within_24h_share"] == 0.5
    assert s["median_hours_to_settle"] == pytest.approx(20.0)
    assert s["p90_hours_to_settle"] == pytest.approx(30 + 0.7 * 90)  # percentile_cont(0.9) of 2, 10, 30, 120
    assert s["overdue"] is None  # the public does not get the council's work list


def test_figures_by_industry_and_by_province(api, world):
    s = api.get("/stats", region="420100", industry="catering").json()
    assert s["industry"] == {"code": "catering", "name": "餐饮"}
    assert (s["total"], s["settled"], s["settled_within_24h"]) == (6, 3, 1)
    assert s["settlement_rate"] == 0.5 and s["settled_within_24h_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["median_hours_to_settle"] == pytest.approx(30.0)
    s = api.get("/stats", region="420000").json()
    assert (s["total"], s["settled"], s["settled_within_24h"]) == (8, 5, 3)
    assert s["settlement_rate"] == 0.625 and s["median_hours_to_settle"] == pytest.approx(10.0)
    s = api.get("/stats").json()  # the whole country
    assert s["region"] is None and s["total"] == 8
    s = api.get("/stats", region="420500").json()
    assert (s["total"], s["settled"], s["median_hours_to_settle"]) == (1, 1, pytest.approx(1.0))


def test_figures_by_period_in_shanghai_dates(api, world):
    s = api.get("/stats", region="420100", **{"from": "2026-03-16", "to": "2026-03-16"}).json()
    assert (s["from"], s["to"], s["total"], s["settled"]) == ("2026-03-16", "2026-03-16", 1, 1)
    assert s["median_hours_to_settle"] == pytest.approx(10.0)
    s = api.get("/stats", region="420100", to="2026-03-15").json()
    assert s["total"] == 6
    s = api.get("/stats", region="420100", **{"from": "2026-03-17"}).json()
    assert (s["total"], s["settlement_rate"], s["median_hours_to_settle"]) == (0, None, None)


def test_a_period_is_calendar_days_in_shanghai():
    start, end = stats_period(dt.date(2026, 3, 16), dt.date(2026, 3, 16), today=dt.date(2026, 3, 20))
    assert start == dt.datetime(2026, 3, 15, 16, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 16, 16, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput):
        stats_period(dt.date(2026, 3, 21), None, today=dt.date(2026, 3, 20))


def test_the_council_gets_its_subtree_with_overdue_counts(api, world, council, traveller):
    s = api.get("/stats", as_=council).json()
    assert s["region"]["code"] == "420100" and s["total"] == 7
    # 13 days after T0: a5 never answered (respond_by passed); a5 and a6 settle within the next 48 h
    assert {k: v for k, v in s["overdue"].items() if k != "as_of"} == {
        "awaiting_first_response": 1, "near_settle_by": 2, "past_settle_by": 0}
    assert s["overdue"]["as_of"].startswith("2026-03-28T02:00")
    narrower = api.get("/stats", as_=council, region="420102").json()
    assert narrower["total"] == 6 and narrower["overdue"]["near_settle_by"] == 2
    assert api.get("/stats", as_=council, region="420106").json()["overdue"]["near_settle_by"] == 0
    # an hour past the 14 days, before the sweep has run
    traveller.move_to(T0 + 14 * D + H)
    s = api.get("/stats", as_=council).json()
    assert {k: v for k, v in s["overdue"].items() if k != "as_of"} == {
        "awaiting_first_response": 1, "near_settle_by": 0, "past_settle_by": 2}
    sweep()
    s = api.get("/stats", as_=council).json()
    assert {k: v for k, v in s["overdue"].items() if k != "as_of"} == {
        "awaiting_first_response": 0, "near_settle_by": 0, "past_settle_by": 0}
    assert s["failed"] == 3 and s["by_state"]["failed"] == 3


def test_overdue_counts_follow_the_industry(api, world, council):
    assert api.get("/stats", as_=council, industry="retail").json()["overdue"]["near_settle_by"] == 0
    assert api.get("/stats", as_=council, industry="catering").json()["overdue"]["near_settle_by"] == 2


def test_a_council_cannot_look_outside_its_subtree(api, world, council, make_user):
    r = api.get("/stats", as_=council, region="420500")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = api.get("/stats", as_=council, region="420000")  # the province above is outside too
    assert r.status_code == 403
    yichang = make_user("council", region="420500")
    assert api.get("/stats", as_=yichang, region="420102").status_code == 403
    assert api.get("/stats", as_=yichang).json()["total"] == 1
    # the public figures of that region stay open to anyone without a token
    assert api.get("/stats", region="420500").json()["overdue"] is None


def test_other_roles_get_the_public_figures(api, world, make_user, business):
    for who in (make_user("consumer"), make_user("business", business=business)):
        s = api.get("/stats", as_=who, region="420100").json()
        assert s["total"] == 7 and s["overdue"] is None
    s = api.get("/stats", as_=make_user("operator")).json()
    assert s["region"] is None and s["total"] == 8 and s["overdue"]["awaiting_first_response"] == 1


@pytest.mark.parametrize(("params", "field"), [
    ({"region": "abc"}, "region"),
    ({"region": "999999"}, "region"),
    ({"region": "42010"}, "region"),
    ({"region": "4201000"}, "region"),
    ({"industry": "spaceflight"}, "industry"),
    ({"industry": "CATERING"}, "industry"),
    ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
    ({"from": "abc"}, "from"),
    ({"to": "2026-02-30"}, "to"),
    ({"from": "1999-12-31"}, "from"),
    ({"to": "2026-03-16"}, "to"),  # tomorrow, seen from 2026-03-15 in Shanghai
    ({"from": "9999-12-31"}, "from"),
])
def test_bad_input_is_a_422_on_the_field(api, db, traveller, params, field):
    r = api.get("/stats", **params)
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"], r.json()


def test_bad_input_from_a_council_member_is_a_422_too(api, db, traveller, council):
    r = api.get("/stats", as_=council, region="abc")
    assert r.status_code == 422 and "region" in r.json()["error"]["fields"]
