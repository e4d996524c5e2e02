"""Webhook deliveries end to end: a real HTTP server on 127.0.0.1 receives
them and checks their signatures as a business's system would."""

import datetime as dt
import json
import socket

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hejie.complaints import events
from hejie.complaints import services as complaints
from hejie.complaints.events import EventType
from hejie.complaints.models import Complaint
from hejie.complaints.services import orders
from hejie.core import clock
from hejie.ops.sweep import sweep
from hejie.webhooks import services, transport
from hejie.webhooks.models import WebhookDelivery
from hejie.webhooks.services import CLAIM_LEASE, RETRY_DELAYS, endpoint_create
from tests.conftest import T0
from tests.webhooks.receiver import receiver_verifies

S = dt.timedelta(seconds=1)


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """``with sent(): ...``: run the block, then what it left for after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def only_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.get()


# --------------------------------------------------------------------------- a delivery


def test_an_event_is_posted_signed_and_the_receiver_can_verify_it(traveller, endpoint, receiver, sent,
                                                                    file_complaint, consumer):
    with sent():
        order = file_complaint()
    [got] = receiver.received
    assert got.path == "/hejie/hook"
    assert receiver_verifies(endpoint.secret, got.headers, got.body)
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["X-Hejie-Event"] == "submitted"
    assert got.headers["X-Hejie-Timestamp"] == str(int(T0.timestamp()))
    delivery = only_delivery()
    assert got.headers["X-Hejie-Delivery"] == str(delivery.pk)
    body = got.json
    event = order.events.get()
    assert body == {
        "id": delivery.pk, "event_id": event.pk, "event": "submitted", "created_at": "2026-03-15T02:00:00Z",
        "state_from": "new", "state_to": "delivered",
        "order": {"id": order.pk, "number": order.number, "state": "delivered",
                  "delivered_at": "2026-03-15T02:00:00Z", "respond_by": "2026-03-16T02:00:00Z",
                  "settle_by": "2026-03-29T02:00:00Z"},
        "data": {"routed": "deliver", "review_reason": ""},
    }
    # nothing about the consumer beyond the order itself
    for private in (consumer.phone, consumer.username, "138****8000"):
        assert private.encode() not in got.body
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at == delivery.last_attempt_at == T0 and delivery.next_attempt_at is None
    assert delivery.payload == body and delivery.event_type == "submitted" and delivery.kind == "event"


def test_a_changed_body_a_wrong_secret_or_a_stale_timestamp_do_not_verify(traveller, endpoint, receiver, sent,
                                                                          file_complaint):
    with sent():
        file_complaint()
    [got] = receiver.received
    assert receiver_verifies(endpoint.secret, got.headers, got.body)
    assert not receiver_verifies(endpoint.secret, got.headers, got.body.replace(b"delivered", b"settled"))
    assert not receiver_verifies("whsec_wrong", got.headers, got.body)
    forged = {**got.headers, "X-Hejie-Timestamp": str(int(T0.timestamp()) + 60)}
    assert not receiver_verifies(endpoint.secret, forged, got.body)  # the timestamp is signed too
    traveller.shift(dt.timedelta(minutes=5))
    assert receiver_verifies(endpoint.secret, got.headers, got.body)
    traveller.shift(S)  # a replay more than 5 minutes later
    assert not receiver_verifies(endpoint.secret, got.headers, got.body)


def test_the_signing_helper_agrees_with_the_receiver(traveller, endpoint, receiver, sent, file_complaint):
    from hejie.webhooks.signing import verify

    with sent():
        file_complaint()
    [got] = receiver.received
    kwargs = {"secret": endpoint.secret, "body": got.body, "timestamp": got.headers["X-Hejie-Timestamp"],
              "signature_header": got.headers["X-Hejie-Signature"]}
    assert verify(**kwargs)
    assert not verify(**{**kwargs, "body": got.body + b" "})
    assert not verify(**kwargs, now=T0.timestamp() + 301)
    assert not verify(**{**kwargs, "timestamp": "soon"})


def test_every_event_of_the_order_is_delivered_in_order(traveller, endpoint, receiver, sent, delivered, staff,
                                                        consumer):
    with sent():
        complaints.message_post(actor=staff, complaint=delivered, body="您好，我们正在核实。")
        proposal = complaints.proposal_make(actor=staff, complaint=delivered, terms="全额退款", amount="38")
        complaints.proposal_accept(actor=consumer, complaint=delivered, proposal_id=proposal.pk)
    events = [r.headers["X-Hejie-Event"] for r in receiver.received]
    assert events == ["respond", "message", "proposal", "accept"]
    accept = receiver.received[-1].json
    assert accept["order"]["state"] == "settled" and accept["state_to"] == "settled"
    assert accept["data"]["stars"] == 5 and accept["data"]["proposal_id"] == proposal.pk
    assert WebhookDelivery.objects.filter(status="delivered").count() == 4


def test_the_order_block_shows_the_order_after_the_change_committed(traveller, endpoint, receiver, sent, consumer,
                                                                     council, business):
    """Forwarding sets the deadlines after the event is written: the body is
    rendered when it is first sent, so they are there."""
    queued = complaints.complaint_submit(
        consumer=consumer, business_name="未入驻的小店", region_code="420102", problem_type="quality",
        description="买的热干面里有异物，要求退款。", claim_type="refund", claim_amount="38",
    )
    assert not WebhookDelivery.objects.exists()  # no business yet: nobody to tell
    with sent():
        complaints.complaint_forward(actor=council, complaint=queued, business_id=business.pk)
    [got] = receiver.received
    body = got.json
    assert body["event"] == "forward" and body["state_from"] == "pending_review" and body["state_to"] == "delivered"
    assert body["order"]["settle_by"] == "2026-03-29T02:00:00Z" and body["order"]["respond_by"] is not None


def test_only_active_endpoints_of_the_orders_business_receive(traveller, endpoint, receiver, sent, file_complaint,
                                                             make_business, make_user, admin):
    other = make_business("别家商户")
    other_admin = make_user("business", business=other, is_business_admin=True)
    with receiver.__class__() as elsewhere:
        endpoint_create(actor=other_admin, url=elsewhere.url)
        second = endpoint_create(actor=admin, url=receiver.url + "/second")
        second.is_active = False
        second.save(update_fields=["is_active"])
        with sent():
            file_complaint()
        assert elsewhere.received == []
    assert [r.path for r in receiver.received] == ["/hejie/hook"]


# --------------------------------------------------------------------------- retries


def test_a_failed_attempt_is_retried_after_a_minute_then_delivered(traveller, endpoint, receiver, sent,
                                                                   file_complaint):
    receiver.statuses.extend([500, 200])
    with sent():
        file_complaint()
    d = only_delivery()
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == ("pending", 1, 500, "HTTP 500")
    assert d.next_attempt_at == T0 + dt.timedelta(minutes=1)

    traveller.move_to(T0 + dt.timedelta(minutes=1) - S)
    with sent():
        sweep()
    assert len(receiver.received) == 1  # not due yet

    traveller.move_to(T0 + dt.timedelta(minutes=1))
    with sent():
        sweep()
    first, second = receiver.received
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == ("delivered", 2, 200, "")
    assert d.delivered_at == T0 + dt.timedelta(minutes=1) and d.next_attempt_at is None
    # the same delivery, the same body; a fresh timestamp and signature
    assert first.body == second.body and first.headers["X-Hejie-Delivery"] == second.headers["X-Hejie-Delivery"]
    assert second.headers["X-Hejie-Timestamp"] == str(int((T0 + dt.timedelta(minutes=1)).timestamp()))
    assert receiver_verifies(endpoint.secret, second.headers, second.body)

    with sent():
        sweep()
    assert len(receiver.received) == 2  # delivered: never again


def test_backoff_is_1_5_30_minutes_2_and_12_hours_then_it_gives_up(traveller, endpoint, receiver, sent,
                                                                  file_complaint):
    receiver.default = 503
    with sent():
        file_complaint()
    at = T0
    for n, delay in enumerate(RETRY_DELAYS, start=1):
        d = only_delivery()
        assert (d.status, d.attempts, d.last_attempt_at) == ("pending", n, at)
        assert d.next_attempt_at == at + delay
        traveller.move_to(at + delay - S)
        with sent():
            sweep()
        assert len(receiver.received) == n
        at += delay
        traveller.move_to(at)
        with sent():
            sweep()
        assert len(receiver.received) == n + 1
    d = only_delivery()
    assert (d.status, d.attempts, d.next_attempt_at, d.last_status_code) == ("failed", 6, None, 503)
    assert at == T0 + dt.timedelta(hours=14, minutes=36)
    traveller.move_to(T0 + dt.timedelta(hours=23))  # (before the order's first automatic urge)
    with sent():
        sweep()
    assert len(receiver.received) == 6


def test_a_lost_hand_off_is_sent_by_the_sweep_once_its_claim_lapses(traveller, endpoint, receiver,
                                                                    django_capture_on_commit_callbacks, sent,
                                                                    file_complaint):
    with django_capture_on_commit_callbacks(execute=False):  # e.g. the process died right after commit
        file_complaint()
    d = only_delivery()
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 0, T0 + CLAIM_LEASE)
    traveller.move_to(T0 + CLAIM_LEASE - S)
    with sent():
        sweep()
    assert receiver.received == []
    traveller.move_to(T0 + CLAIM_LEASE)
    with sent():
        sweep()
    assert len(receiver.received) == 1 and only_delivery().status == "delivered"


def test_an_attempt_is_sent_once_however_often_it_is_handed_off(traveller, endpoint, receiver,
                                                                 django_capture_on_commit_callbacks, file_complaint):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        file_complaint()
    d = only_delivery()
    assert services.deliveries_attempt(ids=[d.pk], claim=d.next_attempt_at) == 1
    assert services.deliveries_attempt(ids=[d.pk], claim=d.next_attempt_at) == 0
    for callback in callbacks:  # the original hand-off, late
        callback()
    assert len(receiver.received) == 1


def test_a_slow_receiver_times_out(traveller, endpoint, receiver, sent, file_complaint, monkeypatch):
    monkeypatch.setattr(transport, "SEND_TIMEOUT_SECONDS", 0.3)
    receiver.delay = 1.5
    with sent():
        file_complaint()
    d = only_delivery()
    assert d.status == "pending" and "timed out" in d.last_error and d.last_status_code is None


def test_redirects_are_not_followed(traveller, endpoint, receiver, sent, file_complaint):
    receiver.statuses.append(302)
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    with sent():
        file_complaint()
    d = only_delivery()
    assert (d.status, d.last_status_code) == ("pending", 302)
    assert "redirects are not followed" in d.last_error and len(receiver.received) == 1


def test_nobody_listening_is_a_failed_attempt(traveller, webhook_settings, admin, sent, file_complaint):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint_create(actor=admin, url=f"http://127.0.0.1:{port}/closed")
    with sent():
        file_complaint()
    d = only_delivery()
    assert d.status == "pending" and d.attempts == 1 and "refused" in d.last_error.lower()


def test_a_disabled_endpoint_gets_nothing_more(traveller, endpoint, receiver, sent, file_complaint,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        file_complaint()
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    traveller.move_to(T0 + CLAIM_LEASE)
    with sent():
        sweep()
    d = only_delivery()
    assert (d.status, d.last_error) == ("failed", "endpoint disabled") and receiver.received == []


def test_deleting_an_endpoint_deletes_its_log_and_stops_its_deliveries(traveller, endpoint, receiver, admin,
                                                                       django_capture_on_commit_callbacks,
                                                                       file_complaint):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        file_complaint()
    services.endpoint_delete(actor=admin, endpoint_id=endpoint.pk)
    for callback in callbacks:
        callback()
    assert receiver.received == [] and not WebhookDelivery.objects.exists()


# --------------------------------------------------------------------------- transactions and cost


def test_a_rolled_back_change_sends_nothing(traveller, endpoint, receiver, sent, file_complaint):
    with sent():
        try:
            with transaction.atomic():
                file_complaint()
                assert WebhookDelivery.objects.count() == 1
                raise RuntimeError("the change fails after its event was written")
        except RuntimeError:
            pass
    assert not WebhookDelivery.objects.exists() and not Complaint.objects.exists()
    assert receiver.received == []


def _event_queries(order) -> int:
    """The queries of one event that changes nothing else (no figure, no notice) and its consumers."""
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx, events.unit():
        events.watch(order)
        orders._event(order, EventType.URGE_ACKNOWLEDGED, actor=None, side="system", now=clock.now())
    return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])


def test_an_event_for_a_business_without_webhooks_adds_at_most_one_query(traveller, delivered, monkeypatch):
    with_webhooks = _event_queries(delivered)
    monkeypatch.delitem(events._consumers, events.Stage.WEBHOOKS)
    without = _event_queries(delivered)
    assert without == 2  # the order's last event (its chain: seq and hash) and the event's INSERT
    assert with_webhooks - without <= 1


def test_an_event_on_an_order_without_a_business_costs_nothing_more(traveller, consumer):
    queued = complaints.complaint_submit(
        consumer=consumer, business_name="未入驻的小店", region_code="420102", problem_type="quality",
        description="买的热干面里有异物，要求退款。", claim_type="refund", claim_amount="38",
    )
    assert _event_queries(queued) == 2  # the chain's read and the INSERT, nothing for webhooks


def test_a_business_with_endpoints_costs_two_queries_however_many(traveller, webhook_settings, admin, delivered):
    for n in range(5):
        endpoint_create(actor=admin, url=f"https://hooks{n}.example.com/hejie")
    assert _event_queries(delivered) == 4  # the chain's read, the event, the endpoints, one bulk insert
    assert WebhookDelivery.objects.count() == 5


def test_the_retry_pass_finds_nothing_in_one_query_and_prunes_in_one_more(traveller, endpoint, delivered):
    with CaptureQueriesContext(connection) as ctx:
        assert services.deliveries_dispatch_due() == 0
    due = [q["sql"] for q in ctx.captured_queries if "webhooks_webhookdelivery" in q["sql"]]
    assert len(due) == 2  # the due query and the prune query
    assert "next_attempt_at" in due[0]


def test_the_due_query_uses_the_partial_index(db):
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
    qs = WebhookDelivery.objects.filter(status="pending", next_attempt_at__lte=T0).order_by("next_attempt_at")
    assert "whd_due" in qs[:100].explain()


def test_the_pass_hands_off_in_bounded_batches(traveller, endpoint, receiver, sent, file_complaint, make_user,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(5):
            file_complaint(make_user(), order_ref=str(n))
    traveller.move_to(T0 + CLAIM_LEASE)
    with sent():
        assert services.deliveries_dispatch_due(limit=3, batch_size=2) == 3
    assert len(receiver.received) == 3
    with sent():
        assert services.deliveries_dispatch_due(limit=3, batch_size=2) == 2
    assert len(receiver.received) == 5


def test_old_finished_deliveries_are_pruned(traveller, endpoint, receiver, sent, file_complaint, make_user):
    receiver.statuses.append(500)
    with sent():
        file_complaint(make_user(), order_ref="a")  # pending (failed once)
        file_complaint(make_user(), order_ref="b")  # delivered
    traveller.move_to(T0 + dt.timedelta(days=30, seconds=1))
    assert services.deliveries_prune() == 1
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["pending"]


def test_the_body_is_compact_utf8_json(traveller, endpoint, receiver, sent, delivered, staff):
    with sent():
        complaints.complaint_refuse(actor=staff, complaint=delivered, reason="已超过退款期限")
    body = receiver.received[-1].body
    assert "已超过退款期限".encode() in body and b"\\u" not in body and b", " not in body
    assert json.loads(body.decode("utf-8"))["data"]["reason"] == "经营者拒绝和解：已超过退款期限"
