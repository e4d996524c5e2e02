import datetime as dt

import pytest

from hejie.accounts.services import password_change
from hejie.businesses.services import staff_reset_password
from tests.conftest import T0


def code_from(outbox) -> str:
    import re

    return re.search(r"\d{6}", outbox[-1].title + outbox[-1].body).group(0)


def test_consumer_signs_in_by_code_and_revokes(api, sms, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/auth/code", {"phone": "13912345678"})
    assert r.status_code == 202
    r = api.post("/auth/token", {"phone": "13912345678", "code": code_from(sms)})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["user"]["role"] == "consumer" and body["user"]["phone_masked"] == "139****5678"
    token = body["token"]
    assert api.get("/auth/me", as_=token).json()["role"] == "consumer"
    assert api.delete("/auth/token", as_=token).status_code == 204
    r = api.get("/auth/me", as_=token)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_staff_sign_in_with_password(api, make_user):
    u = make_user("council", region="420100")
    u.set_password("a-long-password-1")
    u.save()
    r = api.post("/auth/token", {"username": u.username, "password": "a-long-password-1"})
    assert r.status_code == 200 and r.json()["user"]["region_code"] == "420100"
    r = api.post("/auth/token", {"username": u.username, "password": "wrong-password"})
    assert r.status_code in (401, 403) and "error" in r.json()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"phone": "12345"}, 422, "phone"),
        ({}, 422, "phone"),
        ({"phone": "13912345678", "extra": 1}, 422, "extra"),
        ({"phone": 13912345678}, 422, "phone"),
    ],
)
def test_bad_code_requests(api, db, body, status, field):
    r = api.post("/auth/code", body)
    assert r.status_code == status and field in r.json()["error"]["fields"], r.json()


def test_malformed_json_is_a_400_with_the_shape(api, db):
    r = api.post("/auth/code", raw="{not json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_token_request_must_pick_one_way(api, db):
    r = api.post("/auth/token", {"phone": "13912345678", "username": "x"})
    assert r.status_code == 422
    r = api.post("/auth/token", {"phone": "13912345678"})
    assert r.status_code == 422 and "code" in r.json()["error"]["fields"]


def test_code_flood_is_rate_limited(api, sms, db):
    assert api.post("/auth/code", {"phone": "13912345678"}).status_code == 202
    r = api.post("/auth/code", {"phone": "13912345678"})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0 and r.json()["error"]["code"] == "rate_limited"


def test_no_token_and_garbage_token_are_401(api, db):
    assert api.get("/auth/me").status_code == 401
    assert api.get("/auth/me", as_="garbage").status_code == 401


def test_schema_and_docs_are_served(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and "/api/v1/auth/token" in r.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


# --- the guess limit on passwords, and keys revoked with a changed password ---------------------

PASSWORD = "a-long-password-1"


@pytest.fixture
def councillor(make_user):
    u = make_user("council", region="420100")
    u.set_password(PASSWORD)
    u.save()
    return u


def test_wrong_passwords_are_limited_with_retry_after(api, councillor, traveller):
    for _ in range(5):
        r = api.post("/auth/token", {"username": councillor.username, "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    traveller.shift(dt.timedelta(minutes=5))
    r = api.post("/auth/token", {"username": councillor.username, "password": PASSWORD})  # right, but refused
    assert r.status_code == 429 and r["Retry-After"] == "600"
    assert r.json() == {"error": {
        "code": "rate_limited", "fields": {},
        "message": "该账号在此网络的密码错误次数过多，请10分钟后再试"}}  # Chinese by default
    r = api.post("/auth/token", {"username": councillor.username, "password": PASSWORD},
                 headers={"Accept-Language": "en"})
    assert r.status_code == 429 and r.json()["error"]["message"] == (
        "Too many wrong passwords for this account from this network; try again in 10 minutes")
    r = api.post("/auth/token", {"username": "nobody-at-all", "password": "wrong-password"})
    assert r.status_code == 401  # another username from this address still has tries left
    traveller.move_to(T0 + dt.timedelta(minutes=15))
    r = api.post("/auth/token", {"username": councillor.username, "password": PASSWORD})
    assert r.status_code == 200


def test_one_address_trying_many_usernames_is_limited(api, councillor, traveller):
    def token(username, password, ip):
        return api.client.post("/api/v1/auth/token", {"username": username, "password": password},
                               content_type="application/json", REMOTE_ADDR=ip)

    for n in range(30):
        assert token(f"guess{n}", "wrong-password", "203.0.113.9").status_code == 401
    r = token(councillor.username, PASSWORD, "203.0.113.9")
    assert r.status_code == 429 and r["Retry-After"] == "900" and r.json()["error"]["message"].startswith("此网络")
    assert token(councillor.username, PASSWORD, "203.0.113.10").status_code == 200


def test_keys_stop_working_when_the_password_is_changed(api, councillor):
    token = api.post("/auth/token", {"username": councillor.username, "password": PASSWORD}).json()["token"]
    assert api.get("/auth/me", as_=token).status_code == 200
    password_change(user=councillor, current_password=PASSWORD, new_password="another-password-2",
                    new_password_again="another-password-2")
    r = api.get("/auth/me", as_=token)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = api.post("/auth/token", {"username": councillor.username, "password": "another-password-2"})
    assert api.get("/auth/me", as_=r.json()["token"]).status_code == 200


def test_keys_stop_working_when_an_admin_resets_the_password(api, make_user, business):
    admin = make_user("business", business=business, is_business_admin=True)
    clerk = make_user("business", business=business)
    clerk.set_password(PASSWORD)
    clerk.save()
    token = api.post("/auth/token", {"username": clerk.username, "password": PASSWORD}).json()["token"]
    _, initial = staff_reset_password(actor=admin, business=business, user_id=clerk.pk)
    assert api.get("/auth/me", as_=token).status_code == 401
    r = api.post("/auth/token", {"username": clerk.username, "password": initial})
    assert r.status_code == 200 and api.get("/auth/me", as_=r.json()["token"]).status_code == 200
