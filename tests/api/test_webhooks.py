"""/api/v1/webhooks: a business's admin registers endpoints, tests them,
reads the delivery log and redelivers; everyone else is refused."""

import datetime as dt

import pytest

from hejie.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks import fixtures
from tests.webhooks.receiver import receiver_verifies

webhook_settings = fixtures.webhook_settings
receiver = fixtures.receiver
admin = fixtures.admin


@pytest.fixture(autouse=True)
def _settings(webhook_settings):
    return webhook_settings


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def registered(api, admin, receiver):
    r = api.post("", {"url": receiver.url, "description": "ERP 系统"}, as_=admin)
    assert r.status_code == 201, r.json()
    return r.json()


@pytest.fixture
def rival(make_business, make_user):
    """Admin staff of another business."""
    return make_user("business", business=make_business("别家商户"), is_business_admin=True)


def err(r) -> dict:
    return r.json()["error"]


class WebhooksApi:
    def __init__(self, api):
        self.api = api

    def post(self, path, data=None, **kw):
        return self.api.post(f"/webhooks{path}", data, **kw)

    def get(self, path, **kw):
        return self.api.get(f"/webhooks{path}", **kw)

    def delete(self, path, **kw):
        return self.api.delete(f"/webhooks{path}", **kw)


@pytest.fixture
def api(api):
    return WebhooksApi(api)


# --------------------------------------------------------------------------- endpoints


def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(api, admin, registered, receiver):
    assert registered["url"] == receiver.url and registered["description"] == "ERP 系统"
    assert registered["is_active"] is True and registered["secret"].startswith("whsec_")
    listed = api.get("", as_=admin)
    assert listed.status_code == 200
    assert listed.json() == [{k: v for k, v in registered.items() if k != "secret"}]
    assert WebhookEndpoint.objects.get().created_by == admin


def test_the_schema_documents_every_operation(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{endpoint_id}"]) == {"delete"}
    for path in ("/api/v1/webhooks/{endpoint_id}/test", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver"):
        assert set(paths[path]["post"]["responses"]) >= {"202", "401", "403", "404", "409", "429"}
    assert "get" in paths["/api/v1/webhooks/{endpoint_id}/deliveries"]


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": "https://u:p@example.com/x"}, "url"),
    ({"url": "https://example.com/" + "a" * 600}, "url"),
    ({"url": 42}, "url"),
    ({}, "url"),
    ({"url": "https://example.com/x", "description": "x" * 201}, "description"),
    ({"url": "https://example.com/x", "secret": "mine"}, "secret"),
])
def test_bad_registrations_are_422_naming_the_field(api, admin, body, field):
    r = api.post("", body, as_=admin)
    assert r.status_code == 422 and field in err(r)["fields"], r.json()
    assert not WebhookEndpoint.objects.exists()


def test_private_addresses_are_refused_in_production(api, admin, settings):
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = False
    r = api.post("", {"url": "http://169.254.169.254/latest/meta-data/"}, as_=admin)
    assert r.status_code == 422 and err(r)["code"] == "private_address"


def test_at_most_five_endpoints_and_no_duplicates(api, admin, registered, receiver):
    r = api.post("", {"url": receiver.url}, as_=admin)
    assert r.status_code == 409 and err(r)["code"] == "duplicate"
    for n in range(4):
        assert api.post("", {"url": f"https://erp{n}.example.com/hook"}, as_=admin).status_code == 201
    r = api.post("", {"url": "https://erp9.example.com/hook"}, as_=admin)
    assert r.status_code == 409 and err(r)["code"] == "limit"
    assert WebhookEndpoint.objects.count() == 5


def test_delete_removes_the_endpoint_and_its_log(api, admin, registered, sent, receiver):
    with sent():
        api.post(f"/{registered['id']}/test", as_=admin)
    assert WebhookDelivery.objects.count() == 1
    r = api.delete(f"/{registered['id']}", as_=admin)
    assert r.status_code == 204
    assert api.get("", as_=admin).json() == [] and not WebhookDelivery.objects.exists()
    assert api.delete(f"/{registered['id']}", as_=admin).status_code == 404


# --------------------------------------------------------------------------- who may


def test_only_a_business_admin_manages_webhooks(api, registered, staff, consumer, council, make_user):
    operator = make_user("operator")
    for user in (staff, consumer, council):
        assert api.post("", {"url": "https://erp.example.com/hook"}, as_=user).status_code == 403
        assert api.get("", as_=user).status_code == 403
        assert api.delete(f"/{registered['id']}", as_=user).status_code == 403
        assert api.post(f"/{registered['id']}/test", as_=user).status_code == 403
        assert api.get(f"/{registered['id']}/deliveries", as_=user).status_code == 403
    r = api.get("", as_=staff)
    assert err(r)["code"] == "forbidden" and err(r)["message"] == "只有商户管理员可以管理推送地址"
    r = api.get("", as_=staff, headers={"Accept-Language": "en"})  # the same refusal, in English
    assert err(r)["message"] == "Only a business's admin staff manage webhooks"
    assert api.get("").status_code == 401
    assert api.post("", {"url": "https://erp.example.com/hook"}).status_code == 401
    # an operator has no business of its own to register for, but may act on one by id
    assert api.post("", {"url": "https://erp.example.com/hook"}, as_=operator).status_code == 403
    assert api.get(f"/{registered['id']}/deliveries", as_=operator).status_code == 200
    assert WebhookEndpoint.objects.count() == 1


def test_another_business_cannot_see_or_manage_the_endpoint(api, registered, rival, sent, admin):
    with sent():
        ping = api.post(f"/{registered['id']}/test", as_=admin).json()
    eid, did = registered["id"], ping["id"]
    assert api.get("", as_=rival).json() == []
    for r in (
        api.get(f"/{eid}/deliveries", as_=rival),
        api.post(f"/{eid}/test", as_=rival),
        api.delete(f"/{eid}", as_=rival),
        api.post(f"/deliveries/{did}/redeliver", as_=rival),
    ):
        assert r.status_code == 404 and err(r)["code"] == "not_found", r.json()
    assert WebhookEndpoint.objects.filter(pk=eid).exists()
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("path", ["/0", "/-1", "/abc", "/99999999999999999999", "/9223372036854775807"])
def test_odd_ids_are_not_500(api, admin, path):
    for r in (api.delete(path, as_=admin), api.post(f"{path}/test", as_=admin),
              api.get(f"{path}/deliveries", as_=admin), api.post(f"/deliveries{path}/redeliver", as_=admin)):
        assert r.status_code in (404, 422), (path, r.status_code)


# --------------------------------------------------------------------------- test, log, redeliver


def test_a_test_ping_reaches_the_receiver_signed(api, admin, registered, sent, receiver, traveller):
    with sent():
        r = api.post(f"/{registered['id']}/test", as_=admin)
    assert r.status_code == 202
    ping = r.json()
    assert ping["event"] == "ping" and ping["kind"] == "ping" and ping["status"] == "pending"
    [got] = receiver.received
    assert receiver_verifies(registered["secret"], got.headers, got.body)
    assert got.headers["X-Hejie-Event"] == "ping" and got.json["id"] == ping["id"]
    assert got.json["order"] is None and got.json["data"]["endpoint_id"] == registered["id"]
    [logged] = api.get(f"/{registered['id']}/deliveries", as_=admin).json()["items"]
    assert logged["status"] == "delivered" and logged["attempts"] == 1 and logged["last_status_code"] == 200
    assert logged["delivered_at"] == "2026-03-15T02:00:00Z" and logged["payload"] == got.json


def test_the_log_shows_failures_and_pages_newest_first(api, admin, registered, sent, receiver, traveller,
                                                        file_complaint, make_user):
    receiver.statuses.extend([500, 500])
    with sent():
        for n in range(5):
            file_complaint(make_user(), order_ref=f"M{n}")
            traveller.shift(dt.timedelta(seconds=1))
    pages, cursor = [], None
    while True:
        params = {"size": 2, **({"cursor": cursor} if cursor else {})}
        r = api.get(f"/{registered['id']}/deliveries", as_=admin, **params)
        assert r.status_code == 200
        pages.append(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    ids = [d["id"] for p in pages for d in p]
    assert ids == sorted(ids, reverse=True)
    oldest = pages[-1][0]
    assert oldest["status"] == "pending" and oldest["last_status_code"] == 500 and oldest["last_error"] == "HTTP 500"
    assert oldest["next_attempt_at"] == "2026-03-15T02:01:05Z"  # sent after the block committed, at +5 s
    failed = api.get(f"/{registered['id']}/deliveries", as_=admin, status="pending").json()["items"]
    assert len(failed) == 2
    assert len(api.get(f"/{registered['id']}/deliveries", as_=admin, status="delivered").json()["items"]) == 3


@pytest.mark.parametrize("params", [{"size": 0}, {"size": 101}, {"cursor": "nope"}, {"status": "lost"}])
def test_bad_log_filters_are_422(api, admin, registered, params):
    assert api.get(f"/{registered['id']}/deliveries", as_=admin, **params).status_code == 422


def test_a_finished_delivery_can_be_redelivered(api, admin, registered, sent, receiver, traveller,
                                                file_complaint):
    receiver.default = 500
    with sent():
        file_complaint()
    original = WebhookDelivery.objects.get()
    r = api.post(f"/deliveries/{original.pk}/redeliver", as_=admin)
    assert r.status_code == 409 and err(r)["code"] == "pending"  # still being retried

    original.status = "failed"
    original.next_attempt_at = None
    original.save(update_fields=["status", "next_attempt_at"])
    receiver.default = 200
    with sent():
        r = api.post(f"/deliveries/{original.pk}/redeliver", as_=admin)
    assert r.status_code == 202
    again = r.json()
    assert again["kind"] == "redelivery" and again["event_id"] == original.event_id and again["id"] != original.pk
    first, second = receiver.received
    assert receiver_verifies(registered["secret"], second.headers, second.body)
    assert second.json["id"] == again["id"] and second.headers["X-Hejie-Delivery"] == str(again["id"])
    assert {**first.json, "id": None} == {**second.json, "id": None}  # the same body otherwise
    assert WebhookDelivery.objects.get(pk=again["id"]).status == "delivered"


def test_manual_sends_are_rate_limited(api, admin, registered, sent):
    with sent():
        for _ in range(20):
            assert api.post(f"/{registered['id']}/test", as_=admin).status_code == 202
    r = api.post(f"/{registered['id']}/test", as_=admin)
    assert r.status_code == 429 and err(r)["code"] == "rate_limited" and r.headers["Retry-After"]


def test_a_disabled_endpoint_cannot_be_tested(api, admin, registered):
    WebhookEndpoint.objects.filter(pk=registered["id"]).update(is_active=False)
    r = api.post(f"/{registered['id']}/test", as_=admin)
    assert r.status_code == 409 and err(r)["code"] == "disabled"
