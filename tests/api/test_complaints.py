"""Complaints through the JSON API: the whole life of an order, idempotent
filing, the flood limit, who may see and do what."""

import datetime as dt

import pytest

from hejie.accounts.services import token_create
from hejie.complaints.models import Complaint, ComplaintEvent, Proposal
from hejie.complaints.services import FILING_LIMIT
from tests.conftest import T0

DESCRIPTION = "买的热干面里有异物，要求退款。"


def filing(business, **extra):
    data = {
        "business_id": business.pk, "problem_type": "quality", "description": DESCRIPTION,
        "claim_type": "refund", "claim_amount": "38.00", "purchase_amount": 38, "purchase_date": "2026-03-14",
    }
    data.update(extra)
    return data


@pytest.fixture
def order(api, traveller, consumer, business, staff):
    """An order filed through the API at T0 (delivered to ``business``)."""
    r = api.post("/complaints", filing(business), as_=consumer)
    assert r.status_code == 201, r.json()
    return r.json()


def err(r):
    return r.json()["error"]


# --------------------------------------------------------------------------- the whole life


def test_full_flow_through_the_api(api, traveller, consumer, business, staff, council):
    r = api.post("/complaints", filing(business), as_=consumer)
    assert r.status_code == 201, r.json()
    created = r.json()
    assert created["state"] == "delivered" and created["number"].startswith("HB-20260315-")
    assert created["delivered_at"] == "2026-03-15T02:00:00Z"
    assert created["respond_by"] == "2026-03-16T02:00:00Z" and created["settle_by"] == "2026-03-29T02:00:00Z"
    assert r["Location"] == f"/api/v1/complaints/{created['id']}"
    cid = created["id"]

    # the business sees it and offers half
    traveller.shift(dt.timedelta(hours=2))
    listed = api.get("/complaints", as_=staff).json()["items"]
    assert [i["id"] for i in listed] == [cid]
    r = api.post(f"/complaints/{cid}/proposals", {"terms": "退一半", "amount": "19.00"}, as_=staff)
    assert r.status_code == 201, r.json()
    first = r.json()
    assert first["status"] == "pending" and first["amount"] == "19.00" and first["side"] == "business"

    # the consumer rejects it with a counter-offer
    r = api.post(f"/complaints/{cid}/proposals/{first['id']}/reject",
                 {"reason": "太少", "counter_terms": "全额退款", "counter_amount": 38}, as_=consumer)
    assert r.status_code == 200, r.json()
    detail = r.json()
    assert detail["state"] == "negotiating"
    assert [(p["side"], p["status"]) for p in detail["proposals"]] == [("business", "rejected"),
                                                                         ("consumer", "counter")]
    assert detail["proposals"][1]["amount"] == "38.00"

    # a new offer, accepted within 24 h: five stars, ten points
    traveller.shift(dt.timedelta(hours=1))
    second = api.post(f"/complaints/{cid}/proposals", {"terms": "全额退款", "amount": 38}, as_=staff).json()
    r = api.post(f"/complaints/{cid}/proposals/{second['id']}/accept", as_=consumer)
    assert r.status_code == 200, r.json()
    detail = r.json()
    assert detail["state"] == "settled" and detail["stars"] == 5 and detail["credit_points"] == 10
    assert detail["settled_at"] == "2026-03-15T05:00:00Z"
    assert "confirm_fulfilment" in detail["allowed_actions"] and "rate" in detail["allowed_actions"]

    # the business fulfils it, the consumer confirms and rates
    r = api.post(f"/complaints/{cid}/fulfilment", {"fulfilled": True}, as_=staff)
    assert r.status_code == 200 and r.json()["fulfilment"] == "claimed", r.json()
    r = api.post(f"/complaints/{cid}/fulfilment", {"fulfilled": True, "note": "已收到退款"}, as_=consumer)
    assert r.status_code == 200 and r.json()["fulfilment"] == "confirmed", r.json()
    r = api.post(f"/complaints/{cid}/rating", {"satisfaction": 5, "comment": "处理很快"}, as_=consumer)
    assert r.status_code == 200, r.json()
    detail = r.json()
    assert detail["satisfaction"] == 5 and detail["satisfaction_comment"] == "处理很快"

    types = [e["type"] for e in detail["timeline"]]
    assert types == ["submitted", "respond", "proposal", "proposal_rejected", "proposal", "accept",
                     "fulfilment_claimed", "fulfilment_confirmed", "rated"]
    accept = next(e for e in detail["timeline"] if e["type"] == "accept")
    assert (accept["state_from"], accept["state_to"], accept["side"]) == ("negotiating", "settled", "consumer")
    assert accept["created_at"].endswith("Z")

    # the council sees it in its subtree, with the consumer's phone masked
    council_view = api.get(f"/complaints/{cid}", as_=council).json()
    assert council_view["consumer"]["phone"] == "138****8000" and council_view["your_side"] == "council"


def test_timeline_records_respond_before_the_first_offer(api, order, staff):
    api.post(f"/complaints/{order['id']}/proposals", {"terms": "退一半", "amount": "19"}, as_=staff)
    detail = api.get(f"/complaints/{order['id']}", as_=staff).json()
    assert [(e["type"], e["state_to"]) for e in detail["timeline"]][:3] == [
        ("submitted", "delivered"), ("respond", "negotiating"), ("proposal", "")]
    assert detail["first_response_at"] == "2026-03-15T02:00:00Z"


def test_messages_both_ways(api, order, consumer, staff):
    cid = order["id"]
    r = api.post(f"/complaints/{cid}/messages", {"body": "请尽快处理"}, as_=consumer)
    assert r.status_code == 201 and r.json()["side"] == "consumer" and r.json()["evidence_id"] is None
    staff.display_name = "店长小王"
    staff.save(update_fields=["display_name"])
    r = api.post(f"/complaints/{cid}/messages", {"body": "您好，我们正在核实"}, as_=staff)
    assert r.status_code == 201 and r.json()["author"] == "店长小王", r.json()
    detail = api.get(f"/complaints/{cid}", as_=consumer).json()
    assert [(m["side"], m["body"]) for m in detail["messages"]] == [("consumer", "请尽快处理"),
                                                                     ("business", "您好，我们正在核实")]
    assert detail["state"] == "negotiating"  # a message from the business is its first response


def test_business_refuses_and_consumer_asks_for_mediation_then_council_records_it(api, order, consumer, staff,
                                                                                   council):
    cid = order["id"]
    r = api.post(f"/complaints/{cid}/refuse", {"reason": "不同意退款"}, as_=staff)
    assert r.status_code == 200 and r.json()["state"] == "failed" and r.json()["stars"] == 0, r.json()
    r = api.post(f"/complaints/{cid}/mediation", {"reason": "希望消委调解"}, as_=consumer)
    assert r.status_code == 201 and r.json()["outcome"] == "", r.json()
    assert api.get(f"/complaints/{cid}", as_=consumer).json()["state"] == "mediating"
    r = api.post(f"/complaints/{cid}/mediation/outcome", {"outcome": "settled", "terms": "退款30元", "amount": "30"},
                 as_=council)
    assert r.status_code == 200, r.json()
    detail = r.json()
    assert detail["state"] == "mediated"
    assert detail["mediations"][0]["outcome"] == "settled" and detail["mediations"][0]["amount"] == "30.00"


def test_mediation_outcome_failed_and_bad_outcome(api, order, consumer, staff, council):
    cid = order["id"]
    api.post(f"/complaints/{cid}/refuse", {"reason": "不同意退款"}, as_=staff)
    api.post(f"/complaints/{cid}/mediation", as_=consumer)
    r = api.post(f"/complaints/{cid}/mediation/outcome", {"outcome": "maybe"}, as_=council)
    assert r.status_code == 422 and "outcome" in err(r)["fields"]
    r = api.post(f"/complaints/{cid}/mediation/outcome", {"outcome": "settled"}, as_=council)
    assert r.status_code == 422 and "terms" in err(r)["fields"]  # the service wants terms for a settlement
    r = api.post(f"/complaints/{cid}/mediation/outcome", {"outcome": "failed"}, as_=council)
    assert r.status_code == 200 and r.json()["state"] == "mediation_failed"


def test_withdraw(api, order, consumer, staff):
    r = api.post(f"/complaints/{order['id']}/withdraw", {"reason": "已私下解决"}, as_=consumer)
    assert r.status_code == 200 and r.json()["state"] == "withdrawn" and r.json()["closing_reason"] == "已私下解决"
    r = api.post(f"/complaints/{order['id']}/withdraw", as_=consumer)  # an empty body is allowed
    assert r.status_code == 409 and err(r)["code"] == "wrong_state"


def test_council_urges_and_business_acknowledges(api, order, staff, council, make_user):
    cid = order["id"]
    r = api.post(f"/complaints/{cid}/urge", {"note": "请尽快回复消费者"}, as_=council)
    assert r.status_code == 201 and r.json()["kind"] == "manual" and r.json()["acknowledged_at"] is None, r.json()
    uid = r.json()["id"]
    r = api.post(f"/complaints/{cid}/urges/{uid}/acknowledge", as_=staff)
    assert r.status_code == 200 and r.json()["acknowledged_at"] == "2026-03-15T02:00:00Z", r.json()
    r = api.post(f"/complaints/{cid}/urges/{uid}/acknowledge", as_=staff)
    assert r.status_code == 409 and err(r)["code"] == "already_acknowledged"
    assert [u["id"] for u in api.get(f"/complaints/{cid}", as_=staff).json()["urges"]] == [uid]


def test_an_urge_of_another_order_is_not_found_under_this_one(api, order, consumer, business, staff, council,
                                                              make_user):
    other = api.post("/complaints", filing(business, order_ref="X2"), as_=make_user()).json()
    uid = api.post(f"/complaints/{other['id']}/urge", as_=council).json()["id"]
    r = api.post(f"/complaints/{order['id']}/urges/{uid}/acknowledge", as_=staff)
    assert r.status_code == 404


def test_queued_order_forwarded_or_rejected_by_the_council(api, traveller, consumer, council, make_business,
                                                           make_user):
    queued = api.post("/complaints", {
        "business_name": "某健身房", "region_code": "420106", "problem_type": "prepaid_card",
        "description": "健身房关门跑路，预付卡余额无法退还。", "claim_type": "refund", "claim_amount": 2000,
    }, as_=consumer).json()
    assert queued["state"] == "pending_review" and queued["delivered_at"] is None
    detail = api.get(f"/complaints/{queued['id']}", as_=council).json()
    assert detail["business"] == {"id": None, "name": "某健身房"}
    assert set(detail["allowed_actions"]) >= {"forward", "forward_external", "reject"}
    r = api.post(f"/complaints/{queued['id']}/forward", {"business_id": 1, "external": "12315"}, as_=council)
    assert r.status_code == 422
    r = api.post(f"/complaints/{queued['id']}/forward", {"external": "12315", "note": "转12315"}, as_=council)
    assert r.status_code == 200 and r.json()["state"] == "rejected" and r.json()["forwarded_to"] == "12315"

    second = api.post("/complaints", {
        "business_name": "另一家店", "region_code": "420106", "problem_type": "price",
        "description": "价格欺诈，标价与结算价不符。", "claim_type": "apology",
    }, as_=consumer).json()
    r = api.post(f"/complaints/{second['id']}/reject", {"reason": "不属于消费纠纷"}, as_=council)
    assert r.status_code == 200 and r.json()["state"] == "rejected"

    joined = make_business("后来入驻的商户")
    third = api.post("/complaints", {
        "business_name": "后来入驻的商户", "region_code": "420106", "problem_type": "service",
        "description": "服务态度恶劣，拒不退款。", "claim_type": "refund", "claim_amount": "10",
    }, as_=consumer).json()
    r = api.post(f"/complaints/{third['id']}/forward", {"business_id": joined.pk}, as_=council)
    assert r.status_code == 422 and "认领" in err(r)["fields"]["business_id"]  # nobody could see it yet
    make_user("business", business=joined)
    r = api.post(f"/complaints/{third['id']}/forward", {"business_id": joined.pk}, as_=council)
    assert r.status_code == 200 and r.json()["state"] == "delivered" and r.json()["business"]["id"] == joined.pk


def test_a_business_named_by_mobile_or_credit_code_is_invited_over_the_api(
        api, traveller, consumer, council, business, staff, outbox, django_capture_on_commit_callbacks):
    body = {"business_name": "巷口烧烤", "region_code": "420106", "problem_type": "quality",
            "description": "烤串没熟，吃完肚子疼，老板不认。", "claim_type": "apology"}
    r = api.post("/complaints", {**body, "business_phone": "0278888", "business_credit_code": "X"}, as_=consumer)
    assert r.status_code == 422 and set(err(r)["fields"]) == {"business_phone", "business_credit_code"}
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/complaints", {**body, "business_phone": "13977776666"}, as_=consumer)
    assert r.status_code == 201 and r.json()["state"] == "pending_review" and r.json()["respond_by"] is None
    detail = api.get(f"/complaints/{r.json()['id']}", as_=council).json()
    assert detail["business"]["name"] == "巷口烧烤" and detail["review_reason"] == "awaiting_claim"
    assert [m.to for m in outbox if m.kind == "claim"] == ["13977776666"]
    # a credit code already on the platform: delivered to that business, its clock running
    r = api.post("/complaints", {**body, "business_credit_code": business.credit_code}, as_=consumer)
    assert r.status_code == 201 and r.json()["state"] == "delivered"
    assert api.get(f"/complaints/{r.json()['id']}", as_=staff).status_code == 200


# --------------------------------------------------------------------------- idempotency and floods


def test_same_idempotency_key_and_body_gives_one_order(api, traveller, consumer, business):
    key = {"Idempotency-Key": "a7d6c0e2-retry"}
    first = api.post("/complaints", filing(business), as_=consumer, headers=key)
    again = api.post("/complaints", filing(business, claim_amount=38, purchase_amount="38.00"), as_=consumer,
                     headers=key)
    assert first.status_code == 201 and again.status_code in (200, 201), again.json()
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Complaint.objects.count() == 1
    assert ComplaintEvent.objects.filter(type="submitted").count() == 1


def test_same_key_different_body_is_a_conflict(api, traveller, consumer, business):
    key = {"Idempotency-Key": "k-1"}
    assert api.post("/complaints", filing(business), as_=consumer, headers=key).status_code == 201
    r = api.post("/complaints", filing(business, claim_amount="40.00"), as_=consumer, headers=key)
    assert r.status_code == 409 and err(r)["code"] == "idempotency_mismatch", r.json()
    assert Complaint.objects.count() == 1


def test_keys_belong_to_one_consumer(api, traveller, consumer, business, make_user):
    key = {"Idempotency-Key": "same-key"}
    a = api.post("/complaints", filing(business), as_=consumer, headers=key)
    b = api.post("/complaints", filing(business), as_=make_user(), headers=key)
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_without_a_key_the_repeat_is_a_duplicate(api, traveller, consumer, business):
    assert api.post("/complaints", filing(business), as_=consumer).status_code == 201
    r = api.post("/complaints", filing(business), as_=consumer)
    assert r.status_code == 409 and err(r)["code"] == "duplicate"


def test_a_replay_is_not_counted_by_the_flood_limit(api, traveller, consumer, business):
    key = {"Idempotency-Key": "flood-replay"}
    for i in range(FILING_LIMIT):
        assert api.post("/complaints", filing(business, order_ref=f"R{i}"), as_=consumer,
                        headers={"Idempotency-Key": f"k{i}"} if i else key).status_code == 201
    r = api.post("/complaints", filing(business, order_ref="R0"), as_=consumer, headers=key)
    assert r.status_code == 201 and r["Idempotent-Replayed"] == "true"


def test_too_long_idempotency_key(api, traveller, consumer, business):
    r = api.post("/complaints", filing(business), as_=consumer, headers={"Idempotency-Key": "k" * 101})
    assert r.status_code == 422 and Complaint.objects.count() == 0


def test_eleventh_complaint_in_an_hour_is_rate_limited(api, traveller, consumer, business):
    for i in range(FILING_LIMIT):
        r = api.post("/complaints", filing(business, order_ref=f"ORDER-{i}"), as_=consumer)
        assert r.status_code == 201, r.json()
        traveller.shift(dt.timedelta(minutes=5))
    r = api.post("/complaints", filing(business, order_ref="ORDER-11"), as_=consumer)
    assert r.status_code == 429 and err(r)["code"] == "rate_limited", r.json()
    # the first filing (at T0) leaves the window at T0 + 1 h; it is now T0 + 50 min
    assert int(r["Retry-After"]) == 600
    assert Complaint.objects.count() == FILING_LIMIT
    traveller.shift(dt.timedelta(minutes=10, seconds=1))
    assert api.post("/complaints", filing(business, order_ref="ORDER-11"), as_=consumer).status_code == 201


# --------------------------------------------------------------------------- who may see and do what


def test_others_orders_are_404_from_every_side(api, order, make_user, make_business):
    cid = order["id"]
    other_consumer = make_user()
    other_staff = make_user("business", business=make_business("别家"))
    yichang = make_user("council", region="420500")
    for who in (other_consumer, other_staff, yichang):
        assert api.get(f"/complaints/{cid}", as_=who).status_code == 404
        assert api.get("/complaints", as_=who).json()["items"] == []
        assert api.post(f"/complaints/{cid}/messages", {"body": "你好"}, as_=who).status_code == 404
        assert api.post(f"/complaints/{cid}/withdraw", as_=who).status_code == 404
        assert api.post(f"/complaints/{cid}/urge", as_=who).status_code == 404
    r = api.post(f"/complaints/{cid}/proposals", {"terms": "退一半", "amount": 1}, as_=other_staff)
    assert r.status_code == 404 and err(r)["code"] == "not_found"
    assert api.get("/complaints/999999", as_=other_consumer).status_code == 404
    assert ComplaintEvent.objects.count() == 1


def test_a_consumer_cannot_accept_an_offer_on_someone_elses_order(api, order, staff, make_user):
    pid = api.post(f"/complaints/{order['id']}/proposals", {"terms": "退一半", "amount": 19}, as_=staff).json()["id"]
    r = api.post(f"/complaints/{order['id']}/proposals/{pid}/accept", as_=make_user())
    assert r.status_code == 404
    assert Proposal.objects.get(pk=pid).status == "pending"


def test_a_proposal_of_another_order_is_not_found(api, order, consumer, business, staff, make_user):
    other = api.post("/complaints", filing(business, order_ref="X9"), as_=make_user()).json()
    pid = api.post(f"/complaints/{other['id']}/proposals", {"terms": "退一半"}, as_=staff).json()["id"]
    api.post(f"/complaints/{order['id']}/proposals", {"terms": "退一半"}, as_=staff)
    r = api.post(f"/complaints/{order['id']}/proposals/{pid}/accept", as_=consumer)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "who"),
    [
        ("proposals", {"terms": "我自己提的方案"}, "consumer"),
        ("refuse", {"reason": "不想处理"}, "consumer"),
        ("withdraw", {}, "staff"),
        ("urge", {}, "staff"),
        ("urge", {}, "consumer"),
        ("rating", {"satisfaction": 5}, "staff"),
        ("forward", {"external": "12315"}, "consumer"),
        ("reject", {"reason": "不予受理"}, "staff"),
        ("fulfilment", {"fulfilled": True}, "council"),
    ],
)
def test_wrong_side_is_403(api, order, consumer, staff, council, path, body, who):
    actor = {"consumer": consumer, "staff": staff, "council": council}[who]
    r = api.post(f"/complaints/{order['id']}/{path}", body, as_=actor)
    assert r.status_code == 403 and err(r)["code"] == "forbidden_side", (path, r.json())
    assert ComplaintEvent.objects.count() == 1


def test_staff_cannot_file_a_complaint(api, traveller, staff, business):
    r = api.post("/complaints", filing(business), as_=staff)
    assert r.status_code == 403 and Complaint.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "body", "who"),
    [
        ("rating", {"satisfaction": 4}, "consumer"),  # no outcome yet
        ("fulfilment", {"fulfilled": True}, "consumer"),  # not settled
        ("fulfilment", {"fulfilled": True}, "staff"),
        ("mediation", {}, "consumer"),  # not failed
        ("mediation/outcome", {"outcome": "failed"}, "council"),
        ("forward", {"external": "12315"}, "council"),  # not in the queue
        ("reject", {"reason": "不予受理"}, "council"),
    ],
)
def test_out_of_turn_is_409(api, order, consumer, staff, council, path, body, who):
    actor = {"consumer": consumer, "staff": staff, "council": council}[who]
    r = api.post(f"/complaints/{order['id']}/{path}", body, as_=actor)
    assert r.status_code == 409 and err(r)["code"] == "wrong_state", (path, r.json())
    assert ComplaintEvent.objects.count() == 1


def test_accepting_twice_or_a_rejected_offer_is_409(api, order, consumer, staff):
    cid = order["id"]
    pid = api.post(f"/complaints/{cid}/proposals", {"terms": "退一半"}, as_=staff).json()["id"]
    assert api.post(f"/complaints/{cid}/proposals/{pid}/reject", as_=consumer).status_code == 200
    r = api.post(f"/complaints/{cid}/proposals/{pid}/accept", as_=consumer)
    assert r.status_code == 409 and err(r)["code"] == "proposal_closed"
    assert err(r)["message"] == "该方案已拒绝，不能再回复"  # not "已已拒绝": the label says 已 itself
    pid = api.post(f"/complaints/{cid}/proposals", {"terms": "全额退款", "amount": 38}, as_=staff).json()["id"]
    assert api.post(f"/complaints/{cid}/proposals/{pid}/accept", as_=consumer).status_code == 200
    r = api.post(f"/complaints/{cid}/proposals/{pid}/accept", as_=consumer)
    assert r.status_code == 409


def test_rating_twice_is_409(api, order, consumer, staff):
    cid = order["id"]
    api.post(f"/complaints/{cid}/refuse", {"reason": "不同意"}, as_=staff)
    assert api.post(f"/complaints/{cid}/rating", {"satisfaction": 1}, as_=consumer).status_code == 200
    r = api.post(f"/complaints/{cid}/rating", {"satisfaction": 2}, as_=consumer)
    assert r.status_code == 409 and err(r)["code"] == "already_rated"


def test_business_can_only_mark_fulfilled(api, order, consumer, staff):
    cid = order["id"]
    pid = api.post(f"/complaints/{cid}/proposals", {"terms": "全额退款", "amount": 38}, as_=staff).json()["id"]
    api.post(f"/complaints/{cid}/proposals/{pid}/accept", as_=consumer)
    r = api.post(f"/complaints/{cid}/fulfilment", {"fulfilled": False}, as_=staff)
    assert r.status_code == 422 and "fulfilled" in err(r)["fields"]
    r = api.post(f"/complaints/{cid}/fulfilment", {"fulfilled": False, "note": "没收到"}, as_=consumer)
    assert r.status_code == 200 and r.json()["fulfilment"] == "not_fulfilled"
    # an unfulfilled settlement can go to mediation
    r = api.post(f"/complaints/{cid}/mediation", {"reason": "商户未履行"}, as_=consumer)
    assert r.status_code == 201, r.json()


def test_a_revoked_token_is_401(api, order, consumer):
    token = token_create(user=consumer)
    assert api.get(f"/complaints/{order['id']}", as_=token).status_code == 200
    assert api.delete("/auth/token", as_=token).status_code == 204
    for r in (api.get(f"/complaints/{order['id']}", as_=token), api.get("/complaints", as_=token),
              api.post("/complaints", {}, as_=token), api.post(f"/complaints/{order['id']}/withdraw", as_=token)):
        assert r.status_code == 401 and err(r)["code"] == "unauthorized"
    assert api.get("/complaints").status_code == 401
    assert Complaint.objects.get().state == "delivered"


# --------------------------------------------------------------------------- personal data


def test_consumer_data_by_viewer(api, order, consumer, staff, council, make_user):
    cid = order["id"]
    as_consumer = api.get(f"/complaints/{cid}", as_=consumer)
    as_business = api.get(f"/complaints/{cid}", as_=staff)
    as_council = api.get(f"/complaints/{cid}", as_=council)
    assert as_consumer.json()["consumer"]["phone"] == "13800138000"
    assert as_business.json()["consumer"]["phone"] == "13800138000"  # the business handling it
    assert as_council.json()["consumer"]["phone"] == "138****8000"
    for r in (as_business, as_council):
        assert consumer.username not in r.content.decode()
    operator = make_user("operator")
    assert api.get(f"/complaints/{cid}", as_=operator).json()["consumer"]["phone"] == "138****8000"


# --------------------------------------------------------------------------- lists


@pytest.fixture
def many(traveller, make_user, business, make_business, file_complaint):
    """23 orders against ``business`` (Wuhan) and 2 against a Yichang business, a few minutes apart."""
    yichang = make_business("宜昌商户", region="420502")
    make_user("business", business=yichang)  # someone can sign in for it, so its orders are delivered
    orders = []
    for i in range(25):
        who = make_user()
        orders.append(file_complaint(who, biz=yichang if i in (3, 7) else business, order_ref=f"M{i}"))
        traveller.shift(dt.timedelta(minutes=3))
    return orders


def test_list_is_paginated_newest_first(api, many, council):
    seen, cursor = [], None
    while True:
        params = {"size": 10, **({"cursor": cursor} if cursor else {})}
        page = api.get("/complaints", as_=council, **params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    wuhan = [c.pk for c in reversed(many) if c.region_l2 == "420100"]
    assert seen == wuhan and len(seen) == 23


def test_list_filters(api, many, council, business, make_user):
    hubei = make_user("council", region="420000")
    assert len(api.get("/complaints", as_=hubei, size=100).json()["items"]) == 25
    r = api.get("/complaints", as_=hubei, region="420500", size=100).json()
    assert sorted(i["id"] for i in r["items"]) == sorted(c.pk for c in many if c.region_l2 == "420500")
    assert api.get("/complaints", as_=council, region="420500").json()["items"] == []  # not in its subtree
    assert len(api.get("/complaints", as_=hubei, business_id=business.pk, size=100).json()["items"]) == 23
    assert api.get("/complaints", as_=hubei, state="settled").json()["items"] == []
    assert len(api.get("/complaints", as_=hubei, state="delivered", size=100).json()["items"]) == 25
    r = api.get("/complaints", as_=hubei, q=many[5].number)
    assert [i["id"] for i in r.json()["items"]] == [many[5].pk]
    assert len(api.get("/complaints", as_=hubei, q="HB-20260315", size=100).json()["items"]) == 25
    assert len(api.get("/complaints", as_=hubei, **{"from": "2026-03-15", "to": "2026-03-15"}, size=100)
               .json()["items"]) == 25
    assert api.get("/complaints", as_=hubei, **{"from": "2026-03-16"}).json()["items"] == []
    assert api.get("/complaints", as_=hubei, to="2026-03-14").json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "open"}, "state"),
        ({"size": 101}, "size"),
        ({"size": 0}, "size"),
        ({"region": "42"}, "region"),
        ({"region": "999999"}, "region"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-03-16", "to": "2026-03-15"}, "to"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"business_id": "x"}, "business_id"),
    ],
)
def test_bad_list_filters_are_422_naming_the_field(api, many, council, params, field):
    r = api.get("/complaints", as_=council, **params)
    assert r.status_code == 422 and field in err(r)["fields"], r.json()


def test_list_items_carry_overdue_flags(api, many, council, traveller):
    items = api.get("/complaints", as_=council).json()["items"]
    assert not any(i["overdue_response"] for i in items)
    traveller.shift(dt.timedelta(hours=23))  # now T0 + 24 h 15 min: the first five are past respond_by
    items = api.get("/complaints", as_=council, size=100).json()["items"]
    oldest = items[-1]
    assert oldest["overdue_response"] is True and oldest["overdue_settlement"] is False
    assert items[0]["overdue_response"] is False
    assert sum(i["overdue_response"] for i in items) == 4  # 0, 3, 6, 12 min (9 is in Yichang)
    assert {"business", "stars", "credit_points", "problem_type", "claim_type", "claim_amount"} <= set(oldest)
    assert oldest["business"]["name"] == "武汉热干面馆" and oldest["claim_amount"] == "38.00"


def test_list_query_count_is_pinned(api, many, council, staff, make_user, django_assert_num_queries):
    hubei = make_user("council", region="420000")
    tokens = {u: token_create(user=u) for u in (hubei, council, staff)}
    for user in tokens:  # touch each token once, so last_used_at is not written during the count
        api.get("/auth/me", as_=tokens[user])
    # token+user, the council's region, the page: the same for 20 rows as for 2
    with django_assert_num_queries(3):
        r = api.get("/complaints", as_=tokens[hubei], size=20)
    assert len(r.json()["items"]) == 20
    with django_assert_num_queries(3):
        assert len(api.get("/complaints", as_=tokens[hubei], size=2).json()["items"]) == 2
    with django_assert_num_queries(4):  # + the region filter's row
        assert len(api.get("/complaints", as_=tokens[council], size=20, region="420102").json()["items"]) == 20
    with django_assert_num_queries(2):
        assert len(api.get("/complaints", as_=tokens[staff], size=20).json()["items"]) == 20


def test_detail_query_count_does_not_grow_with_the_timeline(api, order, consumer, staff, council):
    cid = order["id"]
    token = token_create(user=consumer)
    api.get("/auth/me", as_=token)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert api.get(f"/complaints/{cid}", as_=token).status_code == 200
        return len(ctx.captured_queries)

    def chat(rounds):
        for i in range(rounds):
            api.post(f"/complaints/{cid}/messages", {"body": f"消息{i}"}, as_=staff)
            api.post(f"/complaints/{cid}/messages", {"body": f"回复{i}"}, as_=consumer)
            api.post(f"/complaints/{cid}/proposals", {"terms": f"方案{i}"}, as_=staff)
            api.post(f"/complaints/{cid}/urge", as_=council)

    chat(1)
    before = count()
    chat(5)
    assert count() == before <= 10


def test_times_are_utc_iso(api, order, consumer):
    detail = api.get(f"/complaints/{order['id']}", as_=consumer).json()
    assert detail["created_at"] == T0.isoformat().replace("+00:00", "Z")
    assert all(e["created_at"].endswith("Z") for e in detail["timeline"])


def test_schema_documents_every_operation(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        ("/api/v1/complaints", "post"), ("/api/v1/complaints", "get"), ("/api/v1/complaints/{id}", "get"),
        ("/api/v1/complaints/{id}/evidence", "post"), ("/api/v1/complaints/{id}/evidence/{eid}", "get"),
        ("/api/v1/complaints/{id}/messages", "post"), ("/api/v1/complaints/{id}/proposals", "post"),
        ("/api/v1/complaints/{id}/proposals/{pid}/accept", "post"),
        ("/api/v1/complaints/{id}/proposals/{pid}/reject", "post"), ("/api/v1/complaints/{id}/refuse", "post"),
        ("/api/v1/complaints/{id}/withdraw", "post"), ("/api/v1/complaints/{id}/urge", "post"),
        ("/api/v1/complaints/{id}/urges/{uid}/acknowledge", "post"), ("/api/v1/complaints/{id}/mediation", "post"),
        ("/api/v1/complaints/{id}/mediation/outcome", "post"), ("/api/v1/complaints/{id}/rating", "post"),
        ("/api/v1/complaints/{id}/fulfilment", "post"), ("/api/v1/complaints/{id}/forward", "post"),
        ("/api/v1/complaints/{id}/reject", "post"),
    }
    for path, method in expected:
        op = paths[path][method]
        assert op.get("summary"), (path, method)
        assert {"401", "404"} <= set(op["responses"]) or path == "/api/v1/complaints", (path, method)
    states = schema["components"]["schemas"]["State"]["enum"]
    assert states == ["pending_review", "rejected", "delivered", "negotiating", "settled", "failed", "withdrawn",
                      "unresponsive", "mediating", "mediated", "mediation_failed"]


def test_counter_offer_cites_a_clause(api, order, consumer, staff, make_user):
    from hejie.standards import services as std

    operator = make_user("operator")
    standard = std.standard_create(actor=operator, industry="catering", title="餐饮服务规范")
    std.version_draft(actor=operator, standard=standard)
    std.clause_set(actor=operator, standard=standard, version=1, number="3.2", text="出现异物的菜品，全额退款。")
    std.version_publish(actor=operator, standard=standard, version=1)
    clause = standard.versions.get().clauses.get()
    cid = order["id"]
    offer = api.post(f"/complaints/{cid}/proposals", {"terms": "退一半", "amount": "19.00"}, as_=staff).json()
    r = api.post(f"/complaints/{cid}/proposals/{offer['id']}/reject",
                 {"counter_terms": "全额退款", "counter_amount": "38", "counter_clause_id": 0}, as_=consumer)
    assert r.status_code == 422, r.json()
    r = api.post(f"/complaints/{cid}/proposals/{offer['id']}/reject",
                 {"counter_terms": "全额退款", "counter_amount": "38", "counter_clause_id": clause.pk}, as_=consumer)
    assert r.status_code == 200, r.json()
    counter = r.json()["proposals"][-1]
    assert counter["status"] == "counter" and counter["clause"]["number"] == "3.2"
    assert counter["clause"]["text"] == "出现异物的菜品，全额退款。" and counter["clause"]["version"] == 1


def test_a_refusal_reads_in_the_requested_language(api, order, consumer, business):
    """Messages are gettext: Chinese by default, English with ``Accept-Language: en``."""
    api.post(f"/complaints/{order['id']}/withdraw", as_=consumer)
    r = api.post(f"/complaints/{order['id']}/withdraw", as_=consumer)
    assert r.status_code == 409 and err(r)["message"] == "当前状态为「已撤回」，不能执行此操作"
    r = api.post(f"/complaints/{order['id']}/withdraw", as_=consumer, headers={"Accept-Language": "en"})
    assert r.status_code == 409 and err(r)["message"] == "This action is not allowed in the state “Withdrawn”"
    r = api.post("/complaints", filing(business, business_id=10**9), as_=consumer)
    assert err(r)["fields"]["business_id"] == "商户不存在"
    r = api.post("/complaints", filing(business, business_id=10**9), as_=consumer, headers={"Accept-Language": "en"})
    assert err(r)["fields"]["business_id"] == "No such business"


def test_the_api_s_own_errors_read_in_the_requested_language(api, consumer):
    r = api.post("/complaints", {"problem_type": "quality"}, as_=consumer)
    assert r.status_code == 422 and err(r)["message"] == "输入有误，请检查标出的字段"
    assert err(r)["fields"]["description"] == "必填"
    r = api.post("/complaints", {"problem_type": "quality"}, as_=consumer, headers={"Accept-Language": "en"})
    assert err(r)["message"] == "Some fields are invalid" and err(r)["fields"]["description"] == "Required"
    r = api.get("/complaints", headers={"Authorization": "Bearer nonsense", "Accept-Language": "en"})
    assert r.status_code == 401 and err(r)["message"] == "Sign in first: the token is missing, wrong or revoked"
