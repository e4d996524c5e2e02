import pytest

from hejie.notifications.backends import MemoryBackend


@pytest.fixture
def sms(settings):
    settings.HEJIE_NOTIFICATION_BACKENDS = {"sms": "hejie.notifications.backends.MemoryBackend"}
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


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
