"""/api/v1/businesses: the directory, the public profile, joining, the council's
review, stores — and every refusal from the side of the one refused."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hejie.accounts.models import User
from hejie.businesses.models import Business
from hejie.businesses.names import initials_for
from hejie.businesses.services import business_apply
from hejie.complaints import services as svc
from hejie.notifications.models import Notification
from hejie.ratings.models import BlacklistEntry, RedListEntry
from tests.accounts.phone_codes import issue_join_code
from tests.conftest import make_credit_code

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def settle(traveller, complaint, staff, after):
    """The business offers, the consumer accepts ``after`` delivery."""
    traveller.move_to(complaint.delivered_at + after - dt.timedelta(minutes=30))
    p = svc.proposal_make(actor=staff, complaint=complaint, terms="全额退款", amount="38.00")
    traveller.move_to(complaint.delivered_at + after)
    svc.proposal_accept(actor=complaint.consumer, complaint=complaint, proposal_id=p.pk)


@pytest.fixture
def applied(db):
    """A Wuhan (江岸区) business that has applied, through the service."""
    return business_apply(applicant=None, name="武汉新开面馆", credit_code=make_credit_code(region="420102"),
                          industry="catering", region_code="420102")


@pytest.fixture
def yichang_council(make_user):
    return make_user("council", region="420500")


@pytest.fixture
def shops(make_business):
    made = {
        "reganmian": make_business("武汉热干面馆", region="420102"),
        "hotel": make_business("汉口江滩酒店", region="420102", industry="lodging"),
        "yichang": make_business("宜昌三峡面馆", region="420502"),
        "suspended": make_business("武昌停业面馆", region="420106", status="suspended"),
        "applied": make_business("武汉申请面馆", region="420102", status="applied"),
    }
    for b in made.values():  # the real initials, as the service would store them
        Business.objects.filter(pk=b.pk).update(name_initials=initials_for(b.name))
    return made


# --------------------------------------------------------------------------- directory


def _names(r):
    assert r.status_code == 200, r.json()
    return sorted(i["name"] for i in r.json()["items"])


def test_directory_searches_name_initials_industry_and_region(api, shops):
    assert _names(api.get("/businesses")) == ["宜昌三峡面馆", "武昌停业面馆", "武汉热干面馆", "汉口江滩酒店"]
    assert _names(api.get("/businesses", q="面馆")) == ["宜昌三峡面馆", "武昌停业面馆", "武汉热干面馆"]
    assert _names(api.get("/businesses", q="whrg")) == ["武汉热干面馆"]
    assert _names(api.get("/businesses", q="WH RG")) == ["武汉热干面馆"]
    assert _names(api.get("/businesses", industry="lodging")) == ["汉口江滩酒店"]
    assert _names(api.get("/businesses", region="420100")) == ["武昌停业面馆", "武汉热干面馆", "汉口江滩酒店"]
    assert _names(api.get("/businesses", region="420500")) == ["宜昌三峡面馆"]
    assert _names(api.get("/businesses", region="420102", industry="catering")) == ["武汉热干面馆"]


def test_directory_items_carry_rating_and_complaint_count(api, traveller, business, staff, file_complaint):
    c = file_complaint(order_ref="1")
    file_complaint(order_ref="2")
    settle(traveller, c, staff, 2 * H)
    [item] = api.get("/businesses").json()["items"]
    assert item == {
        "id": business.pk, "name": "武汉热干面馆", "credit_code": business.credit_code,
        "industry": {"code": "catering", "name": "餐饮"}, "region": {"code": "420102", "name": "湖北省武汉市江岸区"},
        "status": "active", "stars": pytest.approx((5 * 3 + 5) / 6, abs=0.01),
        "credit_index": pytest.approx((5 * 6 + 10) / 6, abs=0.01), "complaints_total": 2,
    }


def test_applications_are_listed_only_to_those_who_may_see_them(api, shops, council, yichang_council, consumer):
    assert _names(api.get("/businesses", status="applied")) == []
    assert _names(api.get("/businesses", status="applied", as_=consumer)) == []
    assert _names(api.get("/businesses", status="applied", as_=yichang_council)) == []
    assert _names(api.get("/businesses", status="applied", as_=council)) == ["武汉申请面馆"]
    assert _names(api.get("/businesses", status="suspended")) == ["武昌停业面馆"]


def test_directory_pages_by_cursor_in_name_order(api, make_business):
    for i in range(5):
        make_business(f"面馆{i}")
    seen, cursor = [], None
    for _ in range(3):
        params = {"size": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/businesses", **params).json()
        seen += [i["name"] for i in body["items"]]
        cursor = body["next_cursor"]
    assert seen == [f"面馆{i}" for i in range(5)] and cursor is None


def test_directory_costs_the_same_queries_for_one_row_or_fifty(api, make_business, django_assert_max_num_queries):
    make_business("一号店")
    with django_assert_max_num_queries(3):  # businesses, complaint counts (+ the savepoint-free auth: none)
        assert len(api.get("/businesses").json()["items"]) == 1
    for i in range(49):
        make_business(f"分店{i:02d}")
    with django_assert_max_num_queries(3):
        assert len(api.get("/businesses", size=100).json()["items"]) == 50


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"size": 1000}, "size"),
        ({"size": 0}, "size"),
        ({"industry": "spaceflight"}, "industry"),
        ({"industry": "cat\x00ering"}, "industry"),
        ({"region": "abc"}, "region"),
        ({"region": "999999"}, "region"),
        ({"region": "4201000"}, "region"),
        ({"q": "面\x00馆"}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"status": "deleted"}, "status"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJhXHUwMDAwIiwgMV0"}, "cursor"),  # ["a\u0000", 1]
    ],
)
def test_directory_bad_input_is_a_422_on_the_field(api, shops, params, field):
    r = api.get("/businesses", **params)
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"]


def test_a_garbage_token_on_a_public_operation_is_401_not_anonymous(api, shops):
    assert api.get("/businesses", as_="garbage").status_code == 401


# --------------------------------------------------------------------------- profile


def test_profile_values_against_known_cases(api, traveller, business, staff, file_complaint, consumer,
                                            django_assert_max_num_queries):
    a, b, c, _open = (file_complaint(order_ref=r) for r in "abcd")
    settle(traveller, a, staff, 2 * H)  # 5 stars, 10 points, 2 h
    settle(traveller, b, staff, 2 * D)  # 4 stars, 8 points, 48 h
    svc.complaint_refuse(actor=staff, complaint=c, reason="不同意退款")  # failed: 0, 0
    with CaptureQueriesContext(connection) as few:
        r = api.get(f"/businesses/{business.pk}")
    assert r.status_code == 200, r.json()
    p = r.json()
    assert p["name"] == "武汉热干面馆" and p["credit_code"] == business.credit_code and p["status"] == "active"
    assert p["region"] == {"code": "420102", "name": "湖北省武汉市江岸区"}
    assert p["industry"] == {"code": "catering", "name": "餐饮"}
    assert (p["complaints_total"], p["settled"], p["failed"]) == (4, 2, 1)
    assert p["settlement_rate"] == 0.5
    assert p["median_hours_to_settle"] == pytest.approx(25.0)
    assert p["credit_index"] == 6.0  # (5×6 + 10 + 8 + 0) / (5 + 3) = 48 / 8
    assert p["stars"] == 3.0  # (5×3 + 5 + 4 + 0) / 8 = 24 / 8
    assert p["on_black_list"] is False and p["on_red_list"] is False
    bd = p["rating_breakdown"]
    assert bd["cases"] == 3 and bd["failed"] == 1 and bd["points_total"] == 18 and bd["prior_weight"] == 5
    assert {t["stars"]: t["cases"] for t in bd["tiers"]} == {5: 1, 4: 1, 3: 0, 2: 0, 0: 1}
    assert {x["number"]: (x["cost"], x["outcome"]) for x in bd["cases_listed"]} == {
        a.number: (0, "settled"), b.number: (2, "settled"), c.number: (10, "failed")}
    assert "案件得分之和 18" in bd["explanation"] and "案件数 3" in bd["explanation"]
    text = r.content.decode()
    assert consumer.phone not in text and "138****" not in text and "consumer" not in text
    assert "异物" not in text  # the complaint's own words stay on the order
    # no N+1: more cases, the same queries
    for ref in "efgh":
        settle(traveller, file_complaint(order_ref=ref), staff, 3 * H)
    with django_assert_max_num_queries(len(few)):
        assert api.get(f"/businesses/{business.pk}").json()["complaints_total"] == 8


def test_profile_shows_list_status(api, business):
    BlacklistEntry.objects.create(business=business, rule="failed_cases", reason="x", status="published")
    RedListEntry.objects.create(business=business, reason="y", status="removed")
    p = api.get(f"/businesses/{business.pk}").json()
    assert p["on_black_list"] is True and p["on_red_list"] is False


def test_profile_of_an_unrated_business(api, business):
    p = api.get(f"/businesses/{business.pk}").json()
    assert p["credit_index"] is None and p["stars"] is None and p["settlement_rate"] is None
    assert p["median_hours_to_settle"] is None and p["rating_breakdown"]["cases_listed"] == []


def test_an_application_is_404_to_the_public_and_visible_to_its_own(api, applied, make_user, council,
                                                                  yichang_council, consumer):
    own = make_user("business", business=applied)
    path = f"/businesses/{applied.pk}"
    assert api.get(path).status_code == 404
    assert api.get(path, as_=consumer).status_code == 404
    assert api.get(path, as_=yichang_council).status_code == 404
    assert api.get(path, as_=own).json()["status"] == "applied"
    assert api.get(path, as_=council).json()["status"] == "applied"
    assert api.get(path, as_=make_user("operator")).status_code == 200


def test_another_business_cannot_see_an_application(api, applied, make_user, make_business):
    other = make_user("business", business=make_business("别家"))
    assert api.get(f"/businesses/{applied.pk}", as_=other).status_code == 404


def test_a_suspended_business_keeps_its_public_record(api, make_business):
    b = make_business("停业店", status="suspended")
    assert api.get(f"/businesses/{b.pk}").json()["status"] == "suspended"


@pytest.mark.parametrize(("path", "status"), [("/businesses/999999", 404), ("/businesses/abc", 422),
                                              ("/businesses/99999999999999999999", 404),
                                              ("/businesses/9223372036854775807", 404),
                                              ("/businesses/-1", 404)])
def test_profile_of_nothing(api, db, path, status):
    r = api.get(path)
    assert r.status_code == status and "error" in r.json()


# --------------------------------------------------------------------------- applying


PASSWORD = "han-kou-xin-dian-2026"


def apply_body(**extra):
    body = {"name": "汉口新店", "credit_code": make_credit_code(region="420102"), "industry": "catering",
            "region_code": "420102", "address": "中山大道1号", "contact_name": "王师傅",
            "contact_phone": "13912345678", "username": "hk-boss", "password": PASSWORD, "accept_rules": True,
            "stores": [{"name": "一号店", "region_code": "420102", "address": "中山大道1号"}]}
    body.update(extra)
    if "phone_code" not in body:
        body["phone_code"] = issue_join_code(body["contact_phone"])
    return body


def test_a_consumer_applies_with_a_new_admin_account_and_stays_a_consumer(api, consumer, council,
                                                                          django_capture_on_commit_callbacks):
    r = api.post("/businesses", apply_body(contact_email="boss@example.com"), as_=consumer)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "applied" and body["region"]["code"] == "420102" and body["contact_email"]
    assert set(body) == {"id", "name", "credit_code", "industry", "region", "status", "status_reason", "address",
                         "contact_name", "contact_phone", "contact_email", "created_at", "approved_at"}
    me = User.objects.get(pk=consumer.pk)
    assert me.role == "consumer" and me.business_id is None and not me.is_business_admin
    admin = User.objects.get(username="hk-boss")
    assert admin.role == "business" and admin.business_id == body["id"] and admin.is_business_admin
    assert admin.display_name == "王师傅"
    assert Notification.objects.filter(user=council, event="business_applied").exists()
    # the new admin signs in with the password and sees the application
    r = api.post("/auth/token", {"username": "hk-boss", "password": PASSWORD})
    assert r.status_code == 200, r.json()
    token = r.json()["token"]
    assert api.get(f"/businesses/{body['id']}", as_=token).json()["status"] == "applied"
    assert [s["name"] for s in api.get(f"/businesses/{body['id']}/stores", as_=token).json()] == ["一号店"]
    # ... and the consumer does not
    assert api.get(f"/businesses/{body['id']}", as_=consumer).status_code == 404


def test_anyone_may_apply_without_signing_in_as_on_the_web(api, db):
    r = api.post("/businesses", apply_body())
    assert r.status_code == 201, r.json()
    assert User.objects.get(username="hk-boss").business_id == r.json()["id"]


def test_staff_accounts_cannot_apply(api, staff, council, make_user):
    from hejie.partners.models import Partner

    partner = Partner.objects.create(name="美食外卖平台", kind="platform", region_id="420000")
    for who in (staff, council, make_user("operator"), make_user("partner", partner=partner)):
        r = api.post("/businesses", apply_body(), as_=who)
        assert r.status_code == 403, r.json()
        assert r.json()["error"]["code"] == "staff_account"
    assert not Business.objects.filter(name="汉口新店").exists()
    assert not User.objects.filter(username="hk-boss").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credit_code": "91420102MA4KXXXXX1"}, "credit_code"),
        ({"credit_code": "123"}, "credit_code"),
        ({"credit_code": "x" * 41}, "credit_code"),
        ({"industry": "spaceflight"}, "industry"),
        ({"region_code": "abc"}, "region_code"),
        ({"region_code": "420100"}, "region_code"),  # a city with districts: choose one
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"address": ""}, "address"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"stores": [{"name": "a", "region_code": "999999"}]}, "stores.0.region_code"),
        ({"surprise": 1}, "surprise"),
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),  # a common one
        ({"password": ""}, "password"),
        ({"username": ""}, "username"),
        ({"username": "王 师傅"}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"accept_rules": False}, "accept_rules"),
    ],
)
def test_bad_applications_are_422_on_the_field(api, consumer, change, field):
    r = api.post("/businesses", apply_body(**change), as_=consumer)
    assert r.status_code == 422, r.json()
    assert field in r.json()["error"]["fields"], r.json()
    assert not Business.objects.exists() and not User.objects.filter(role="business").exists()


def test_a_password_that_is_not_text_is_422_not_500(api, consumer):
    raw = json.dumps(apply_body()).replace(f'"{PASSWORD}"', '"\\ud800\\u0000xxxxxxxx"')
    assert "\\ud800" in raw
    r = api.post("/businesses", raw=raw, as_=consumer)
    assert r.status_code == 422 and "password" in r.json()["error"]["fields"], r.json()


@pytest.mark.parametrize("field", ["username", "password", "address", "contact_name", "contact_phone", "phone_code"])
def test_a_missing_field_is_422_on_it(api, consumer, field):
    body = apply_body()
    del body[field]
    r = api.post("/businesses", body, as_=consumer)
    assert r.status_code == 422 and field in r.json()["error"]["fields"], r.json()


def test_a_taken_username_is_not_told_before_the_phone_is_proved(api, consumer, make_user):
    """A stranger cannot learn which usernames exist: with any other field wrong, or with a wrong
    phone code, the answer for a taken username is the answer for a free one, byte for byte."""
    make_user("council", region="420100", username="HK-Boss")
    for changes in ({"password": "123", "name": ""}, {"phone_code": "000001"}):
        issue_join_code("13912345671")
        issue_join_code("13912345672")
        taken = api.post("/businesses", apply_body(username="hk-boss", contact_phone="13912345671", **changes),
                         as_=consumer)
        free = api.post("/businesses", apply_body(username="hk-free", contact_phone="13912345672", **changes),
                        as_=consumer)
        assert taken.status_code == free.status_code == 422
        assert taken.json() == free.json() and "username" not in taken.json()["error"]["fields"]
    assert not Business.objects.exists()


def test_a_taken_username_is_422_on_the_field_once_the_phone_is_proved(api, consumer, make_user):
    make_user("council", region="420100", username="HK-Boss")
    body = apply_body()
    r = api.post("/businesses", body, as_=consumer)
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"username"}
    assert "已被使用" in r.json()["error"]["fields"]["username"]
    assert not Business.objects.exists()
    # the code was not spent by the refused join: the same code serves with another username
    r = api.post("/businesses", {**body, "username": "hk-boss-2"}, as_=consumer)
    assert r.status_code == 201, r.json()


def test_a_duplicate_credit_code_is_422_on_the_field(api, consumer):
    body = apply_body()
    assert api.post("/businesses", body, as_=consumer).status_code == 201
    r = api.post("/businesses", {**body, "name": "另一家", "username": "other-boss"})
    assert r.status_code == 422 and "已有商户申请或入驻" in r.json()["error"]["fields"]["credit_code"]
    assert not User.objects.filter(username="other-boss").exists()


def test_a_refused_business_applies_again_as_the_same_business(api, council):
    body = apply_body()
    first = api.post("/businesses", body).json()
    old_admin = User.objects.get(username="hk-boss")
    assert api.post(f"/businesses/{first['id']}/refuse", {"reason": "材料不全"}, as_=council).status_code == 200
    issue_join_code()  # the first code was spent
    r = api.post("/businesses", {**body, "name": "汉口新店（更名）", "username": "hk-boss-2",
                                 "stores": [{"name": "二号店", "region_code": "420103"}]})
    assert r.status_code == 201, r.json()
    again = r.json()
    assert again["id"] == first["id"] and again["status"] == "applied" and again["status_reason"] == ""
    assert again["name"] == "汉口新店（更名）"
    admins = set(Business.objects.get(pk=first["id"]).staff.filter(is_business_admin=True)
                 .values_list("username", flat=True))
    assert admins == {"hk-boss", "hk-boss-2"}
    assert [s["name"] for s in api.get(f"/businesses/{first['id']}/stores", as_=old_admin).json()] == ["二号店"]
    # not refused any more: applying a third time is refused
    r = api.post("/businesses", {**body, "username": "hk-boss-3"})
    assert r.status_code == 422 and "credit_code" in r.json()["error"]["fields"]


def test_applying_with_a_garbage_token_is_401(api, db):
    assert api.post("/businesses", apply_body(), as_="garbage").status_code == 401
    assert not Business.objects.exists()


def test_malformed_json_is_400(api, consumer):
    assert api.post("/businesses", raw="{nope", as_=consumer).status_code == 400


def test_the_contact_phone_is_proved_by_a_code_sent_to_it(api, db, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/businesses/phone-code", {"phone": "139 1234 5678"})
    assert r.status_code == 202 and r.json()["phone_masked"] == "139****5678", r.json()
    code = re.search(r"\b(\d{6})\b", sms[-1].body).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = api.post("/businesses", apply_body(phone_code=wrong))
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"phone_code"}, r.json()
    assert "验证码错误，还可尝试4次" in r.json()["error"]["fields"]["phone_code"]
    r = api.post("/auth/token", {"phone": "13912345678", "code": code})  # not a sign-in code
    assert r.status_code == 422 and not User.objects.filter(phone="13912345678").exists()
    r = api.post("/businesses", apply_body(phone_code=code))
    assert r.status_code == 201 and r.json()["contact_phone"] == "13912345678", r.json()


def test_phone_code_limits_and_bad_numbers(api, db, sms):
    assert api.post("/businesses/phone-code", {"phone": "13912345678"}).status_code == 202
    r = api.post("/businesses/phone-code", {"phone": "13912345678"})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0 and r.json()["error"]["code"] == "rate_limited"
    r = api.post("/businesses/phone-code", {"phone": "12345"})
    assert r.status_code == 422 and "phone" in r.json()["error"]["fields"], r.json()
    assert api.post("/businesses/phone-code", {}).status_code == 422


# --------------------------------------------------------------------------- review


def test_the_council_of_the_region_approves_suspends_reactivates(api, applied, council, make_user,
                                                                 django_capture_on_commit_callbacks):
    admin = make_user("business", business=applied, is_business_admin=True)
    r = api.post(f"/businesses/{applied.pk}/approve", as_=council)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["approved_at"]
    assert Notification.objects.filter(user=admin, event="business_approved").exists()
    assert api.post(f"/businesses/{applied.pk}/approve", as_=council).status_code == 409
    r = api.post(f"/businesses/{applied.pk}/suspend", {"reason": "多次拒不处理投诉"}, as_=council)
    assert r.status_code == 200 and r.json()["status"] == "suspended" and r.json()["status_reason"]
    assert api.post(f"/businesses/{applied.pk}/reactivate", as_=council).json()["status"] == "active"


def test_refusing_an_application_needs_a_reason(api, applied, council):
    r = api.post(f"/businesses/{applied.pk}/refuse", {"reason": "  "}, as_=council)
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    r = api.post(f"/businesses/{applied.pk}/refuse", {}, as_=council)
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    r = api.post(f"/businesses/{applied.pk}/refuse", {"reason": "材料不全"}, as_=council)
    assert r.json()["status"] == "refused"
    assert api.get(f"/businesses/{applied.pk}").status_code == 404  # still not public


def test_a_province_council_and_an_operator_may_review(api, applied, make_user):
    assert api.post(f"/businesses/{applied.pk}/approve", as_=make_user("council", region="420000")).status_code == 200
    r = api.post(f"/businesses/{applied.pk}/suspend", {"reason": "核查"}, as_=make_user("operator"))
    assert r.status_code == 200


def test_anonymous_cannot_approve(api, applied):
    r = api.post(f"/businesses/{applied.pk}/approve")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert Business.objects.get(pk=applied.pk).status == "applied"


def test_a_consumer_cannot_approve_and_does_not_learn_the_application_exists(api, applied, consumer):
    r = api.post(f"/businesses/{applied.pk}/approve", as_=consumer)
    assert r.status_code == 404
    assert Business.objects.get(pk=applied.pk).status == "applied"


def test_another_citys_council_cannot_approve_or_suspend(api, applied, yichang_council, business):
    # Yichang (420500) on a Wuhan application: it does not exist for them
    assert api.post(f"/businesses/{applied.pk}/approve", as_=yichang_council).status_code == 404
    assert api.post(f"/businesses/{applied.pk}/refuse", {"reason": "x"}, as_=yichang_council).status_code == 404
    # ... and on a Wuhan business on the public record: it exists, it is not theirs
    r = api.post(f"/businesses/{business.pk}/suspend", {"reason": "越权"}, as_=yichang_council)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert r.json()["error"]["message"] == "你无权暂停该商户：只有其所在辖区的消委或运营人员可以"  # Chinese by default
    r = api.post(f"/businesses/{business.pk}/suspend", {"reason": "越权"}, as_=yichang_council,
                 headers={"Accept-Language": "en"})
    assert r.status_code == 403 and r.json()["error"]["message"] == (
        "Only council staff of the business's jurisdiction or operators may suspend it")
    assert Business.objects.get(pk=applied.pk).status == "applied"
    assert Business.objects.get(pk=business.pk).status == "active"


def test_a_business_cannot_approve_itself(api, applied, make_user):
    own_admin = make_user("business", business=applied, is_business_admin=True)
    r = api.post(f"/businesses/{applied.pk}/approve", as_=own_admin)
    assert r.status_code == 403
    assert Business.objects.get(pk=applied.pk).status == "applied"


def test_a_business_cannot_reactivate_itself(api, make_business, make_user):
    b = make_business("停业店", status="suspended")
    r = api.post(f"/businesses/{b.pk}/reactivate", as_=make_user("business", business=b, is_business_admin=True))
    assert r.status_code == 403 and Business.objects.get(pk=b.pk).status == "suspended"


def test_review_of_nothing_is_404(api, council):
    assert api.post("/businesses/987654/approve", as_=council).status_code == 404


# --------------------------------------------------------------------------- stores


def test_stores_are_public_and_added_by_the_business_admin(api, business, make_user):
    admin = make_user("business", business=business, is_business_admin=True)
    r = api.post(f"/businesses/{business.pk}/stores", {"name": "江汉路店", "region_code": "420103"}, as_=admin)
    assert r.status_code == 201 and r.json()["region"]["code"] == "420103"
    assert [s["name"] for s in api.get(f"/businesses/{business.pk}/stores").json()] == ["江汉路店"]
    r = api.post(f"/businesses/{business.pk}/stores", {"name": "江汉路店", "region_code": "420103"}, as_=admin)
    assert r.status_code == 409


def test_stores_refused(api, business, staff, consumer, applied, yichang_council):
    body = {"name": "新店", "region_code": "420102"}
    assert api.post(f"/businesses/{business.pk}/stores", body).status_code == 401
    assert api.post(f"/businesses/{business.pk}/stores", body, as_=staff).status_code == 403  # not an admin
    assert api.post(f"/businesses/{business.pk}/stores", body, as_=consumer).status_code == 403
    assert api.post(f"/businesses/{applied.pk}/stores", body, as_=yichang_council).status_code == 404
    assert api.get(f"/businesses/{applied.pk}/stores").status_code == 404


def test_an_unknown_region_reads_in_the_request_s_language(api, council):
    r = api.get("/businesses", region="999999")
    assert r.status_code == 422 and r.json()["error"]["message"] == "未知的地区代码 999999"  # Chinese by default
    r = api.get("/businesses", region="999999", headers={"Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["error"]["message"] == "Unknown region code 999999"
