"""Input at the edge (hejie.core.edge), from the outside: NUL and lone surrogates in every place a
request carries text, malformed bodies, ids beyond 64 bits and unknown API paths. Each is refused
with a 4xx in the face's own format (the API's JSON error, or a page), never a 500, on SQLite and
PostgreSQL alike."""

import json

import pytest

from hejie.accounts.services import token_create

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # > 2**64


def bearer(user):
    return {"Authorization": f"Bearer {token_create(user=user)}"}


def api_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body["error"]) >= {"code", "message", "fields"}
    return body["error"]


def page_error(response, status=400):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    assert "请求有误".encode() in response.content
    return response


# --- NUL and lone surrogates -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/businesses/?q=%00", "/businesses/?q=a%00b&industry=catering",
                                  "/blacklist/?q%00=1", "/signin/staff/?next=%00", "/complaints/?q=%00"])
def test_a_nul_in_a_page_query_is_a_400_page(client, staff, path):
    client.force_login(staff)
    page_error(client.get(path))


@pytest.mark.parametrize("path", ["/api/v1/businesses?q=%00", "/api/v1/complaints?cursor=%00",
                                  "/api/v1/lists/black?q=x%00", "/api/v1/stats/figures?region=%00"])
def test_a_nul_in_an_api_query_is_a_422(client, consumer, path):
    error = api_error(client.get(path, headers=bearer(consumer)), 422)
    assert error["code"] == "invalid" and error["fields"]


def test_a_nul_in_the_path_is_refused(client):
    api_error(client.get("/api/v1/businesses/%00"), 422)
    page_error(client.get("/claim/%00/"))


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_nul_in_a_username_on_the_staff_sign_in_is_a_400_page(client, encoding):
    data = {"username": "admin\x00", "password": "whatever-1"}
    if encoding == "urlencoded":
        from urllib.parse import urlencode
        response = client.post("/signin/staff/", urlencode(data), content_type="application/x-www-form-urlencoded")
    else:
        response = client.post("/signin/staff/", data)
    page_error(response)


def test_the_api_password_sign_in_refuses_a_nul_in_the_username(client):
    error = api_error(client.post("/api/v1/auth/token", {"username": "a\x00", "password": "x" * 8},
                                  content_type="application/json"), 422)
    assert "username" in error["fields"]


@pytest.mark.parametrize("raw, field", [
    ('{"url": "https://example.com/\\u0000hook"}', "url"),
    ('{"url": "https://example.com/\\ud800"}', "url"),
    ('{"url": "https://example.com/", "description": {"deep": ["ok", {"x\\u0000": 1}]}}', "description.deep.1.x\\x00"),
    ('{"\\udfff": "x"}', "\\udfff"),
])
def test_a_nul_or_lone_surrogate_anywhere_in_a_json_body_is_a_422(client, make_user, business, raw, field):
    admin = make_user("business", business=business, is_business_admin=True)
    error = api_error(client.post("/api/v1/webhooks", raw, content_type="application/json",
                                  headers=bearer(admin)), 422)
    assert error["code"] == "invalid" and field in error["fields"], error


def test_a_json_body_that_is_not_utf8_is_a_400(client, consumer):
    error = api_error(client.post("/api/v1/complaints", b'{"description": "\xff\xfe"}',
                                  content_type="application/json", headers=bearer(consumer)), 400)
    assert error["code"] == "bad_request"


def test_a_form_sent_to_an_operation_that_takes_json_is_a_400(client, consumer):
    error = api_error(client.post("/api/v1/complaints", {"description": "x"}, headers=bearer(consumer)), 400)
    assert error["code"] == "bad_request"


def test_json_that_is_not_json_is_still_the_views_400(client, consumer):
    api_error(client.post("/api/v1/complaints", "{nope", content_type="application/json",
                          headers=bearer(consumer)), 400)


@pytest.mark.parametrize("header", ["Authorization", "Accept-Language", "Idempotency-Key", "X-Forwarded-For",
                                    "Cookie", "X-Requested-With"])
def test_a_nul_in_a_header_is_refused(client, header):
    api_error(client.get("/api/v1/businesses", headers={header: "x\x00y"}), 422)
    page_error(client.get("/businesses/", headers={header: "x\x00y"}))


def test_the_refusal_is_in_the_requests_language(client):
    error = api_error(client.get("/api/v1/businesses?q=%00", headers={"Accept-Language": "en"}), 422)
    assert error["message"].isascii() and "NUL" in error["message"]


def test_plain_text_and_chinese_pass(client):
    assert client.get("/api/v1/businesses?q=热干面").status_code == 200
    assert client.get("/businesses/?q=热干面").status_code == 200


# --- Malformed bodies ----------------------------------------------------------------------------------

def _partner_admin(make_user, partner):
    return make_user("partner", partner=partner, is_business_admin=True)


@pytest.fixture
def upload_routes(make_user, business, delivered, partner, consumer):
    """Every upload route, API and pages, with someone allowed to use it."""
    staff = make_user("business", business=business, is_business_admin=True)
    partner_admin = _partner_admin(make_user, partner)
    return [
        ("api", f"/api/v1/complaints/{delivered.pk}/evidence", consumer),
        ("api", "/api/v1/partners/imports", partner_admin),
        ("api", "/api/v1/lists/black/1/appeals", staff),
        ("page", "/file/evidence/", consumer),
        ("page", f"/complaints/{delivered.pk}/reply/", staff),
        ("page", "/partners/imports/", partner_admin),
        ("page", "/appeals/", staff),
    ]


@pytest.mark.parametrize("body, content_type", [
    (b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--x--\r\n", "multipart/form-data"),
    (b"garbage", "multipart/form-data; boundary="),
    (b"garbage", "multipart/form-data"),
])
def test_a_multipart_body_without_a_usable_boundary_is_a_400_on_every_upload_route(client, upload_routes, body,
                                                                                   content_type):
    for face, path, user in upload_routes:
        headers = bearer(user) if face == "api" else {}
        if face == "page":
            client.force_login(user)
        response = client.generic("POST", path, body, content_type=content_type, headers=headers)
        if face == "api":
            assert api_error(response, 400)["code"] == "bad_request", path
        else:
            page_error(response)
        client.logout()


# --- Ids beyond 64 bits ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [f"/businesses/{HUGE}/", f"/blacklist/{HUGE}/", f"/redlist/{HUGE}/",
                                  f"/complaints/{HUGE}/", f"/file/evidence/{HUGE}/", f"/partners/imports/{HUGE}/",
                                  f"/files/complaints/{HUGE}/evidence/1", "/businesses/9223372036854775808/"])
def test_an_id_beyond_64_bits_on_a_page_is_a_404(client, consumer, path):
    client.force_login(consumer)
    assert client.get(path).status_code == 404


def test_the_largest_64_bit_id_is_an_ordinary_404(client):
    assert client.get("/businesses/9223372036854775807/").status_code == 404


@pytest.mark.parametrize("method, path", [
    ("get", f"/api/v1/complaints/{HUGE}"), ("get", f"/api/v1/businesses/{HUGE}"),
    ("get", f"/api/v1/lists/black/{HUGE}"), ("post", f"/api/v1/partners/{HUGE}/approve"),
    ("post", f"/api/v1/complaints/{HUGE}/withdraw"), ("delete", f"/api/v1/webhooks/{HUGE}"),
])
def test_an_id_beyond_64_bits_in_the_api_is_a_json_4xx(client, council, method, path):
    response = client.generic(method.upper(), path, "{}", content_type="application/json", headers=bearer(council))
    assert response.status_code in (404, 422), response.content[:300]
    assert response["Content-Type"].startswith("application/json")


# --- Unknown paths under /api/ -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/complaints/1/nope", "/api/v2/complaints", "/api/",
                                  "/api/v1/complaints/"])
def test_an_unknown_api_path_is_the_apis_json_404(client, path):
    error = api_error(client.get(path), 404)
    assert error["code"] == "not_found"


def test_a_post_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    error = api_error(strict.post("/api/v1/partners/null,null/approve", "{}", content_type="application/json"), 404)
    assert error["code"] == "not_found"


def test_an_unknown_page_is_still_the_html_404(client):
    response = client.get("/nope/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_the_json_404_is_valid_json_in_english_too(client):
    response = client.get("/api/v1/nope", headers={"Accept-Language": "en"})
    assert json.loads(response.content)["error"]["message"].isascii()


def test_a_wrong_method_under_the_api_is_a_json_405(client, consumer):
    response = client.put("/api/v1/complaints", headers=bearer(consumer))
    error = api_error(response, 405)
    assert error["code"] == "method_not_allowed" and "GET" in response["Allow"]
