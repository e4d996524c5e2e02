"""The council's queue clocks in the API (issue 17, item 2): GET /council/queues/{queue},
GET /council/overdue and POST /complaints/{id}/mediation/extend, scoped to the jurisdiction and refused
to businesses, consumers, partners and other jurisdictions (tested from their side)."""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.complaints import services as svc
from hejie.core.clock import SHANGHAI
from tests.api.test_complaints import err, order  # noqa: F401  (the fixture)


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def queued(traveller, make_user):
    return svc.complaint_submit(consumer=make_user(), business_name="不在平台的小店", region_code="420102",
                                problem_type="quality", description="买的东西有质量问题，要求退款。",
                                claim_type="refund", claim_amount="10")


@pytest.fixture
def mediating(order, api, consumer, staff):  # noqa: F811
    api.post(f"/complaints/{order['id']}/refuse", {"reason": "不同意退款"}, as_=staff)
    api.post(f"/complaints/{order['id']}/mediation", as_=consumer)
    return order


def test_the_review_queue_with_time_left_then_overdue(api, queued, council, traveller):
    r = api.get("/council/queues/review", as_=council)
    assert r.status_code == 200, r.json()
    [row] = r.json()["items"]
    assert (row["id"], row["complaint_id"], row["number"], row["business"]) == (
        queued.pk, queued.pk, queued.number, "不在平台的小店")
    assert (row["workdays_left"], row["workdays_overdue"], row["overdue"], row["last_day"]) == (7, 0, False,
                                                                                                "2026-03-24")
    assert row["deadline"].startswith("2026-03-24T16:00:00")  # midnight Shanghai, in UTC
    traveller.move_to(sh(2026, 3, 25, 0, 0))
    [row] = api.get("/council/queues/review", as_=council).json()["items"]
    assert (row["workdays_left"], row["workdays_overdue"], row["overdue"]) == (0, 1, True)
    detail = api.get(f"/complaints/{queued.pk}", as_=council).json()
    assert detail["deadlines"]["review_by"].startswith("2026-03-24T16:00:00")


def test_the_parent_sees_its_children_s_overdue(api, queued, make_user, traveller):
    province = make_user("council", region="420000")
    traveller.move_to(sh(2026, 3, 25, 0, 0))
    r = api.get("/council/overdue", as_=province)
    assert r.status_code == 200, r.json()
    first = r.json()["children"][0]
    assert (first["code"], first["review"], first["total"]) == ("420100", 1, 1)
    assert api.get("/council/overdue", as_=province, region="420100").json()["children"][0]["code"] == "420102"


def test_queues_are_refused_to_everyone_but_the_council(api, queued, consumer, staff, make_user, partner):
    for refused in (consumer, staff, make_user("partner", partner=partner)):
        for path in ("/council/queues/review", "/council/queues/mediation", "/council/queues/appeals",
                     "/council/overdue"):
            r = api.get(path, as_=refused)
            assert r.status_code == 403, (path, r.json())
    assert api.get("/council/queues/review").status_code == 401
    elsewhere = make_user("council", region="420200")  # 黄石市
    assert api.get("/council/queues/review", as_=elsewhere).json()["items"] == []
    r = api.get("/council/queues/review", as_=elsewhere, region="420100")
    assert r.status_code == 403, r.json()


def test_bad_queue_and_parameters_are_422(api, council):
    assert api.get("/council/queues/nonsense", as_=council).status_code == 422
    assert api.get("/council/queues/review", as_=council, limit="0").status_code == 422
    assert api.get("/council/queues/review", as_=council, region="999999").status_code == 422


def test_the_council_extends_a_mediation_once(api, mediating, council, consumer, staff, make_user):
    cid = mediating["id"]
    [row] = api.get("/council/queues/mediation", as_=council).json()["items"]
    assert row["complaint_id"] == cid and row["workdays_left"] == 45
    assert "mediation_extend" in api.get(f"/complaints/{cid}", as_=council).json()["allowed_actions"]
    assert "mediation_extend" not in api.get(f"/complaints/{cid}", as_=consumer).json()["allowed_actions"]
    for refused, status in ((consumer, 403), (staff, 403), (make_user("council", region="420200"), 404)):
        r = api.post(f"/complaints/{cid}/mediation/extend", {"workdays": 5, "reason": "想延长"}, as_=refused)
        assert r.status_code == status, r.json()
    r = api.post(f"/complaints/{cid}/mediation/extend", {"workdays": 46, "reason": "案情复杂"}, as_=council)
    assert r.status_code == 422 and "workdays" in err(r)["fields"]
    r = api.post(f"/complaints/{cid}/mediation/extend", {"workdays": "5", "reason": "案情复杂"}, as_=council)
    assert r.status_code == 422
    r = api.post(f"/complaints/{cid}/mediation/extend", {"workdays": 5}, as_=council)
    assert r.status_code == 422
    r = api.post(f"/complaints/{cid}/mediation/extend", {"workdays": 5, "reason": "等待检测报告"}, as_=council)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["extension_workdays"], body["extension_reason"]) == (5, "等待检测报告")
    assert body["decide_by"].startswith("2026-05-27T16:00:00")  # 20 May + 21, 22, 25, 26, 27
    r = api.post(f"/complaints/{cid}/mediation/extend", {"workdays": 5, "reason": "再延长"}, as_=council)
    assert r.status_code == 409 and err(r)["code"] == "already_extended"
    assert "mediation_extend" not in api.get(f"/complaints/{cid}", as_=council).json()["allowed_actions"]
    timeline = api.get(f"/complaints/{cid}", as_=consumer).json()["timeline"]
    assert timeline[-1]["type"] == "mediation_extended"
