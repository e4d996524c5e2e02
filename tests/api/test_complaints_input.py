"""Bad input to the complaint operations: each gets 400/413/422 with the field
named, and nothing is written."""

import pytest

from hejie.complaints.models import Complaint, ComplaintEvent, Message, Proposal

DESCRIPTION = "买的热干面里有异物，要求退款。"


def filing(business, **extra):
    data = {"business_id": business.pk, "problem_type": "quality", "description": DESCRIPTION,
            "claim_type": "refund", "claim_amount": "38.00"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not ...}


def nothing_written():
    return Complaint.objects.count() == 0 and ComplaintEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"claim_amount": "-1"}, "claim_amount"),
        ({"claim_amount": -0.01}, "claim_amount"),
        ({"claim_amount": "100000000000"}, "claim_amount"),
        ({"claim_amount": 1e300}, "claim_amount"),
        ({"claim_amount": "12.345"}, "claim_amount"),
        ({"claim_amount": "abc"}, "claim_amount"),
        ({"claim_amount": "NaN"}, "claim_amount"),
        ({"claim_amount": "Infinity"}, "claim_amount"),
        ({"claim_amount": True}, "claim_amount"),
        ({"claim_amount": [38]}, "claim_amount"),
        ({"claim_amount": ...}, "claim_amount"),  # a refund needs an amount
        ({"purchase_amount": "-5"}, "purchase_amount"),
        ({"purchase_date": "2026-03-16"}, "purchase_date"),  # tomorrow (Shanghai)
        ({"purchase_date": "2099-01-01"}, "purchase_date"),
        ({"purchase_date": "1999-12-31"}, "purchase_date"),
        ({"purchase_date": "15/03/2026"}, "purchase_date"),
        ({"purchase_date": "2026-02-30"}, "purchase_date"),
        ({"extra": 1}, "extra"),
        ({"consumer_id": 1}, "consumer_id"),
        ({"state": "settled"}, "state"),
        ({"business_id": "abc"}, "business_id"),
        ({"business_id": True}, "business_id"),
        ({"business_id": 1.5}, "business_id"),
        ({"business_id": 0}, "business_id"),
        ({"business_id": 987654}, "business_id"),
        ({"business_id": 10**30}, "business_id"),
        ({"business_id": ...}, "business_id"),  # neither a business nor a name
        ({"problem_type": "weird"}, "problem_type"),
        ({"problem_type": ...}, "problem_type"),
        ({"claim_type": 3}, "claim_type"),
        ({"description": "太短"}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "长" * 5001}, "description"),
        ({"description": 12345678901}, "description"),
        ({"description": None}, "description"),
        ({"description": ...}, "description"),
        ({"order_ref": "x" * 65}, "order_ref"),
        ({"order_ref": {"a": 1}}, "order_ref"),
        ({"store_id": 5}, "store_id"),
        ({"business_id": ..., "business_name": "某店", "region_code": "999999"}, "region_code"),
        ({"business_id": ..., "business_name": "某店"}, "region_code"),
        ({"business_id": ..., "business_name": "店" * 121, "region_code": "420102"}, "business_name"),
    ],
)
def test_bad_filings_are_422_naming_the_field(api, traveller, consumer, business, extra, field):
    r = api.post("/complaints", filing(business, **extra), as_=consumer)
    assert r.status_code == 422, r.json()
    assert field in r.json()["error"]["fields"], r.json()
    assert nothing_written()


def test_a_store_of_another_business_is_refused(api, traveller, consumer, business, make_business):
    from hejie.businesses.models import Store
    from hejie.regions.models import Region

    other = make_business("别家")
    region = Region.objects.get(code="420102")
    store = Store.objects.create(business=other, name="别家一店", region=region)
    r = api.post("/complaints", filing(business, store_id=store.pk), as_=consumer)
    assert r.status_code == 422 and "store_id" in r.json()["error"]["fields"] and nothing_written()


@pytest.mark.parametrize("raw", ["{not json", '{"business_id": 1,}', "\x00\x01", '{"a": "\\ud800"'])
def test_malformed_json_is_400(api, traveller, consumer, raw):
    r = api.post("/complaints", raw=raw, as_=consumer)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request" and nothing_written()


@pytest.mark.parametrize("raw", ["[]", '"a string"', "42", "null", ""])
def test_a_body_that_is_not_an_object_is_422(api, traveller, consumer, raw):
    r = api.post("/complaints", raw=raw, as_=consumer)
    assert r.status_code == 422 and r.json()["error"]["fields"] and nothing_written()


def test_a_huge_body_is_413(api, traveller, consumer, business):
    r = api.post("/complaints", filing(business, description="长" * 1_500_000), as_=consumer)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large" and nothing_written()


def test_amounts_as_strings_or_numbers(api, traveller, consumer, business):
    r = api.post("/complaints", filing(business, claim_amount=38.5, purchase_amount="40"), as_=consumer)
    assert r.status_code == 201, r.json()
    c = Complaint.objects.get()
    assert str(c.claim_amount) == "38.50" and str(c.purchase_amount) == "40.00"


# --------------------------------------------------------------------------- actions


@pytest.fixture
def order(api, traveller, consumer, business, staff):
    r = api.post("/complaints", filing(business), as_=consumer)
    assert r.status_code == 201
    return r.json()["id"]


@pytest.mark.parametrize(
    ("path", "body", "who", "field"),
    [
        ("messages", {"body": ""}, "consumer", "body"),
        ("messages", {"body": "   "}, "consumer", "body"),
        ("messages", {"body": "长" * 5001}, "consumer", "body"),
        ("messages", {}, "consumer", "body"),
        ("messages", {"body": "你好", "evidence_id": "1"}, "consumer", "evidence_id"),
        ("messages", {"body": "你好", "evidence_id": 42}, "consumer", "evidence_id"),
        ("messages", {"body": "你好", "extra": True}, "consumer", "extra"),
        ("proposals", {"terms": "退款", "amount": -5}, "staff", "amount"),
        ("proposals", {"terms": "退款", "amount": "99999999"}, "staff", "amount"),
        ("proposals", {"terms": "退款", "amount": "0.001"}, "staff", "amount"),
        ("proposals", {"terms": "退"}, "staff", "terms"),
        ("proposals", {"amount": 5}, "staff", "terms"),
        ("refuse", {}, "staff", "reason"),
        ("refuse", {"reason": 1}, "staff", "reason"),
        ("rating", {"satisfaction": 6}, "consumer", "satisfaction"),
        ("rating", {"satisfaction": 0}, "consumer", "satisfaction"),
        ("rating", {"satisfaction": "5"}, "consumer", "satisfaction"),
        ("rating", {"satisfaction": 4.5}, "consumer", "satisfaction"),
        ("rating", {"satisfaction": True}, "consumer", "satisfaction"),
        ("fulfilment", {"fulfilled": "yes"}, "consumer", "fulfilled"),
        ("fulfilment", {"fulfilled": 1}, "consumer", "fulfilled"),
        ("fulfilment", {}, "consumer", "fulfilled"),
        ("withdraw", {"reason": "长" * 1001}, "consumer", "reason"),
        ("urge", {"note": ["a"]}, "council", "note"),
        ("forward", {}, "council", "external"),
        ("forward", {"business_id": 1, "external": "12315"}, "council", "external"),
        ("forward", {"business_id": "x"}, "council", "business_id"),
        ("mediation/outcome", {"outcome": "settled", "amount": -1, "terms": "退款"}, "council", "amount"),
    ],
)
def test_bad_action_input_is_422_naming_the_field(api, order, consumer, staff, council, path, body, who, field):
    actor = {"consumer": consumer, "staff": staff, "council": council}[who]
    events = ComplaintEvent.objects.count()
    r = api.post(f"/complaints/{order}/{path}", body, as_=actor)
    assert r.status_code == 422, r.json()
    assert field in r.json()["error"]["fields"], r.json()
    assert ComplaintEvent.objects.count() == events and Message.objects.count() == 0


def test_counter_amount_needs_counter_terms(api, order, consumer, staff):
    pid = api.post(f"/complaints/{order}/proposals", {"terms": "退一半"}, as_=staff).json()["id"]
    r = api.post(f"/complaints/{order}/proposals/{pid}/reject", {"counter_amount": 30}, as_=consumer)
    assert r.status_code == 422 and "counter_terms" in r.json()["error"]["fields"]
    assert Proposal.objects.get(pk=pid).status == "pending"


def test_bad_ids_in_the_path(api, order, consumer):
    assert api.get("/complaints/abc", as_=consumer).status_code == 422
    assert api.get("/complaints/0", as_=consumer).status_code == 422
    assert api.get(f"/complaints/{10**30}", as_=consumer).status_code == 422
    assert api.get(f"/complaints/{2**63 - 1}", as_=consumer).status_code == 404
    r = api.post(f"/complaints/{order}/proposals/{2**63 - 1}/accept", as_=consumer)
    assert r.status_code in (404, 409)
    r = api.post(f"/complaints/{order}/proposals/abc/accept", as_=consumer)
    assert r.status_code == 422 and "pid" in r.json()["error"]["fields"]


def test_malformed_json_on_an_action_is_400(api, order, consumer):
    r = api.post(f"/complaints/{order}/messages", raw='{"body": ', as_=consumer)
    assert r.status_code == 400 and Message.objects.count() == 0


# --------------------------------------------------------------------------- what PostgreSQL cannot store


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"description": "买的热干面里有异物\x00，要求退款。"}, "description"),
        ({"order_ref": "a\x00b"}, "order_ref"),
        ({"business_id": ..., "business_name": "某\x00店", "region_code": "420102"}, "business_name"),
    ],
)
def test_nul_characters_are_422_not_500(api, traveller, consumer, business, extra, field):
    r = api.post("/complaints", filing(business, **extra), as_=consumer)
    assert r.status_code == 422 and field in r.json()["error"]["fields"] and nothing_written()


def test_lone_surrogates_are_422(api, traveller, consumer, business):
    raw = ('{"business_id": ' + str(business.pk) + ', "problem_type": "quality", "claim_type": "apology", '
           '"description": "\\ud800 买的热干面里有异物，要求退款"}')
    r = api.post("/complaints", raw=raw, as_=consumer)
    assert r.status_code == 422 and "description" in r.json()["error"]["fields"] and nothing_written()


def test_nul_in_a_header_query_or_action_is_422(api, order, consumer, council, business):
    r = api.post("/complaints", filing(business, order_ref="N1"), as_=consumer, headers={"Idempotency-Key": "k\x00"})
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["error"]["fields"]
    for params, field in (({"q": "HB\x00"}, "q"), ({"region": "4201\x00"}, "region"), ({"cursor": "\x00"}, "cursor")):
        r = api.get("/complaints", as_=council, **params)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], r.json()
    r = api.post(f"/complaints/{order}/messages", {"body": "你好\x00"}, as_=consumer)
    assert r.status_code == 422 and "body" in r.json()["error"]["fields"] and Message.objects.count() == 0


@pytest.mark.parametrize(
    "params",
    [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "9999-12-31"}, {"to": "0001-01-01"},
     {"from": "1970-01-02", "to": "8999-12-31"}],
)
def test_dates_at_the_edges_of_time(api, order, council, params):
    r = api.get("/complaints", as_=council, **params)
    assert r.status_code == 200, r.json()


def _cursor(value):
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("value", [[5, 1], ["x", 1], ["2026-01-01", "1"], "just a string", [None, None]])
def test_forged_cursors_are_422(api, order, council, value):
    r = api.get("/complaints", as_=council, cursor=_cursor(value))
    assert r.status_code == 422 and "cursor" in r.json()["error"]["fields"], r.json()


@pytest.mark.parametrize("value", [["0001-01-01T00:00:00+14:00", 1], ["9999-12-31T23:59:59-12:00", 1]])
def test_cursors_at_the_edges_of_time_are_not_a_500(api, order, council, value):
    # SQLite cannot convert them to UTC (422); PostgreSQL compares them fine (a page)
    r = api.get("/complaints", as_=council, cursor=_cursor(value))
    assert r.status_code in (200, 422), r.json()
