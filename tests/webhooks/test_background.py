"""The real hand-offs, with real commits (PostgreSQL: other threads must see
the committed rows): the default background thread, a Celery worker on a
real Redis broker, and two passes that meet on locked rows."""

import threading
import time

import pytest
import redis
from django.db import connection, connections, transaction

from hejie.complaints.services import complaint_submit
from hejie.core import clock
from hejie.webhooks import services
from hejie.webhooks.models import WebhookDelivery
from hejie.webhooks.services import CLAIM_LEASE, endpoint_create
from tests.webhooks.receiver import receiver_verifies

pytestmark = [
    pytest.mark.pg_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (other threads read the rows)"),
]


def _file(make_user, business):
    return complaint_submit(consumer=make_user("consumer"), business_id=business.pk, problem_type="quality",
                            description="买的热干面里有异物，要求退款。", claim_type="refund", claim_amount="38")


def _wait_for_status(status: str, timeout: float = 10.0) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = WebhookDelivery.objects.first()
        if d is not None and d.status == status:
            return d
        time.sleep(0.05)
    raise AssertionError(f"no delivery became {status}: {list(WebhookDelivery.objects.values())}")


def test_by_default_a_background_thread_sends_after_commit(reference_data, settings, make_business, make_user,
                                                           receiver):
    settings.HEJIE_WEBHOOK_BACKGROUND = True
    business = make_business()
    admin = make_user("business", business=business, is_business_admin=True)
    endpoint = endpoint_create(actor=admin, url=receiver.url)
    _file(make_user, business)  # commits; the request's thread does not wait for the receiver
    [got] = receiver.wait_for(1)
    assert receiver_verifies(endpoint.secret, got.headers, got.body)
    d = _wait_for_status("delivered")
    assert d.attempts == 1 and d.last_status_code == 200


def _redis_up(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def test_with_a_broker_a_celery_worker_sends(reference_data, settings, make_business, make_user, receiver):
    from celery.contrib.testing.worker import start_worker

    from hejie.celery import app

    url = "redis://127.0.0.1:6379/14"
    if not _redis_up(url):
        pytest.skip("needs the Redis on localhost")
    redis.Redis.from_url(url).flushdb()
    settings.CELERY_BROKER_URL = url
    app.conf.broker_url = url
    app.conf.result_backend = None
    business = make_business()
    admin = make_user("business", business=business, is_business_admin=True)
    endpoint = endpoint_create(actor=admin, url=receiver.url)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            _file(make_user, business)
            [got] = receiver.wait_for(1)
            d = _wait_for_status("delivered")
        assert receiver_verifies(endpoint.secret, got.headers, got.body) and d.attempts == 1
    finally:
        app.conf.broker_url = None
        redis.Redis.from_url(url).flushdb()


def test_two_passes_never_claim_the_same_delivery(reference_data, settings, make_business, make_user, receiver,
                                                  monkeypatch):
    """One pass holds a batch (row locks) while another runs: the second
    skips the locked rows (SKIP LOCKED) and takes the rest."""
    settings.HEJIE_WEBHOOK_BACKGROUND = False
    business = make_business()
    admin = make_user("business", business=business, is_business_admin=True)
    endpoint_create(actor=admin, url=receiver.url)
    with monkeypatch.context() as m:
        m.setattr(services, "dispatch", lambda ids, claim: None)  # hand-offs lost: the pass must send them
        for _ in range(4):
            _file(make_user, business)
    ids = sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert len(ids) == 4
    later = clock.now() + CLAIM_LEASE
    holding, release = threading.Event(), threading.Event()

    def hold_two():
        try:
            with transaction.atomic():
                list(WebhookDelivery.objects.select_for_update().filter(pk__in=ids[:2]))
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    th = threading.Thread(target=hold_two)
    th.start()
    assert holding.wait(10)
    try:
        assert services.deliveries_dispatch_due(now=later) == 2
    finally:
        release.set()
        th.join(10)
    assert sorted(int(r.headers["X-Hejie-Delivery"]) for r in receiver.received) == ids[2:]
    assert services.deliveries_dispatch_due(now=later) == 2
    assert sorted(int(r.headers["X-Hejie-Delivery"]) for r in receiver.received) == ids
