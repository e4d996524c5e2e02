"""Webhook writes: endpoints, and the life of a delivery.

A delivery row is created in the transaction that appends the timeline event
(``enqueue_for_event``), so a change that rolls back sends nothing. After the
commit the new deliveries are handed off (``dispatch``): to a Celery task
when a broker is configured; otherwise to a background thread of this
process, so a slow receiver never holds up the request that caused the
event (``settings.HEJIE_WEBHOOK_BACKGROUND = False`` sends in the calling
thread instead, after commit: tests and one-off scripts).

The row, not the hand-off, is the source of truth. ``next_attempt_at`` says
when a pending delivery is due and doubles as a claim: a new delivery is
born claimed by its after-commit hand-off until ``CLAIM_LEASE`` from now, an
attempt first moves it (conditional UPDATE on the value the sender was
given), and a failed attempt sets it to the next retry. A hand-off that is
lost (a crash between commit and send, a broker outage) only delays the
delivery: when the claim lapses, the periodic pass run by the sweep
(``deliveries_dispatch_due``) claims it again in bounded batches, with SKIP
LOCKED on PostgreSQL, and hands it off. Delivery is at least once; receivers
deduplicate on the delivery id.

Retries: after a failed attempt (no answer in 5 s, a refused address, any
status but 2xx) the next one comes 1 min, 5 min, 30 min, 2 h and 12 h later;
the sixth failed attempt gives up (failed). A business can redeliver a
finished delivery by hand.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import functools
import json
import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from hejie.accounts import access, privacy
from hejie.businesses.models import Business
from hejie.core import clock
from hejie.core.background import enqueue
from hejie.core.errors import Conflict, NotFound, RateLimited, invalid
from hejie.webhooks import permissions, selectors, signing, transport
from hejie.webhooks.models import MAX_ENDPOINTS_PER_BUSINESS, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from hejie.accounts.models import User
    from hejie.complaints.events import Batch
    from hejie.complaints.models import Complaint

logger = logging.getLogger("hejie.webhooks")

RETRY_DELAYS = (
    dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
CLAIM_LEASE = dt.timedelta(minutes=5)  # a hand-off has this long to start its attempt
SEND_LEASE = dt.timedelta(minutes=2)  # an attempt in flight (5 s timeout, DNS) is done well within this
DUE_BATCH = 100
DUE_LIMIT = 1000  # per pass: the rest waits for the next pass
PRUNE_BATCH = 1000
RETENTION_DAYS = 30
MANUAL_PER_HOUR = 20  # tests and redeliveries per endpoint
DESCRIPTION_MAX = 200
BODY_KEYS = ("id", "event_id", "event", "created_at", "state_from", "state_to", "order", "data")
# The task in tasks.py that runs ``deliveries_attempt`` on a worker, sent by name.
DELIVER_TASK = "hejie.webhooks.deliver"

Status = WebhookDelivery.Status
Kind = WebhookDelivery.Kind


# --------------------------------------------------------------------------- endpoints


def endpoint_create(*, actor: User, url: str, description: str = "") -> WebhookEndpoint:
    """A business admin registers a URL. The returned endpoint carries the
    secret; it is shown this once."""
    business_id = permissions.own_business_id(actor)
    url = transport.validate_url(url)
    if not isinstance(description, str):
        raise invalid("description", _("应为文字"))
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise invalid("description", _("不能超过%(n)d个字") % {"n": DESCRIPTION_MAX})
    with transaction.atomic():
        # Lock the business row: two concurrent registrations cannot both
        # pass the count check.
        list(Business.objects.select_for_update().filter(pk=business_id).values_list("pk", flat=True))
        urls = list(WebhookEndpoint.objects.filter(business_id=business_id).values_list("url", flat=True))
        if url in urls:
            raise Conflict(_("该网址已登记"), code="duplicate")
        if len(urls) >= MAX_ENDPOINTS_PER_BUSINESS:
            raise Conflict(
                _("每个商户最多登记%(n)d个推送地址") % {"n": MAX_ENDPOINTS_PER_BUSINESS},
                code="limit",
            )
        return WebhookEndpoint.objects.create(
            business_id=business_id, url=url, description=description, secret=new_secret(),
            created_by=actor, created_at=clock.now(),
        )


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def endpoint_delete(*, actor: User, endpoint_id: int) -> None:
    """Remove an endpoint and its delivery log; nothing more is sent to it."""
    with transaction.atomic():
        selectors.endpoint_get_for(actor, endpoint_id).delete()


def _check_manual_rate(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    recent = WebhookDelivery.objects.filter(
        endpoint=endpoint, created_at__gte=now - dt.timedelta(hours=1), kind__in=[Kind.PING, Kind.REDELIVERY],
    ).count()
    if recent >= MANUAL_PER_HOUR:
        raise RateLimited(
            _("每个推送地址每小时最多手动发送%(n)d次") % {"n": MANUAL_PER_HOUR}, retry_after=600,
        )


def endpoint_ping(*, actor: User, endpoint_id: int) -> WebhookDelivery:
    """Send a ``ping`` event to the endpoint (after commit), to test it."""
    with transaction.atomic():
        endpoint = selectors.endpoint_get_for(actor, endpoint_id)
        if not endpoint.is_active:
            raise Conflict(_("该推送地址已停用"), code="disabled")
        now = clock.now()
        _check_manual_rate(endpoint, now)
        return _create_deliveries([WebhookDelivery(endpoint=endpoint, kind=Kind.PING, event_type="ping")], now)[0]


def delivery_redeliver(*, actor: User, delivery_id: int) -> WebhookDelivery:
    """Send a finished delivery (delivered or failed) again, as a new delivery
    with the same body (a new ``id``, the same ``event_id``)."""
    with transaction.atomic():
        permissions.check_may_manage(actor)
        original = WebhookDelivery.objects.select_related("endpoint__business").filter(pk=delivery_id).first()
        if original is None:
            raise NotFound(permissions.NO_SUCH_DELIVERY)
        permissions.check_administers(actor, original.endpoint.business, missing=permissions.NO_SUCH_DELIVERY)
        if original.status == Status.PENDING:
            raise Conflict(_("该推送仍在发送中，无需重发"), code="pending")
        if not original.endpoint.is_active:
            raise Conflict(_("该推送地址已停用"), code="disabled")
        now = clock.now()
        _check_manual_rate(original.endpoint, now)
        copy = WebhookDelivery(endpoint=original.endpoint, event_id=original.event_id, kind=Kind.REDELIVERY,
                               event_type=original.event_type, payload=original.payload)
        return _create_deliveries([copy], now)[0]


# --------------------------------------------------------------------------- enqueue


def enqueue_for_events(batch: Batch) -> list[WebhookDelivery]:
    """The consumer of complaint events (stage WEBHOOKS, ``hejie.complaints.events``):
    inside the events' transaction, one delivery per event and active endpoint of the
    order's business, sent after commit.

    Cost: nothing for a batch whose orders have no business, one indexed query for
    the endpoints of all the batch's businesses, one more (a bulk insert) when some
    have endpoints."""
    # Only orders delivered to the business: one waiting in the council's queue is not its to read.
    delivered = [event for event in batch.events if event.complaint.delivered_at is not None]
    business_ids = {event.complaint.business_id for event in delivered} - {None}  # orders loaded: no query
    if not business_ids:
        return []
    endpoints: dict[int | None, list[int]] = {}  # by business id (an order without one finds none)
    for pk, business_id in (WebhookEndpoint.objects.filter(business_id__in=business_ids, is_active=True)
                            .order_by("pk").values_list("pk", "business_id")):
        endpoints.setdefault(business_id, []).append(pk)
    if not endpoints:
        return []
    rows = [WebhookDelivery(endpoint_id=pk, event=event, kind=Kind.EVENT, event_type=event.type)
            for event in delivered for pk in endpoints.get(event.complaint.business_id, ())]
    return _create_deliveries(rows, clock.now())


def _create_deliveries(rows: list[WebhookDelivery], now: dt.datetime) -> list[WebhookDelivery]:
    claim = now + CLAIM_LEASE
    for row in rows:
        row.created_at = now
        row.status = Status.PENDING
        row.next_attempt_at = claim
    rows = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    transaction.on_commit(functools.partial(dispatch, ids, claim), robust=True)
    return rows


# --------------------------------------------------------------------------- hand-off


_executor: concurrent.futures.ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _background() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="hejie-webhooks")
        return _executor


def _attempt_in_thread(ids: list[int], claim: dt.datetime) -> None:
    try:
        deliveries_attempt(ids=ids, claim=claim)
    except Exception:
        logger.exception("webhook deliveries %s failed", ids)
    finally:
        connections.close_all()  # this thread's connections only


def dispatch(ids: list[int], claim: dt.datetime) -> None:
    """Hand claimed deliveries to whoever sends them (after commit)."""
    if not ids:
        return
    try:
        if enqueue(DELIVER_TASK, ids, claim.isoformat()):
            return
    except Exception:  # broker down: the periodic pass sends them once the claim lapses
        logger.exception("could not enqueue webhook deliveries %s; the next pass after %s will", ids, claim)
        return
    if getattr(settings, "HEJIE_WEBHOOK_BACKGROUND", True):
        _background().submit(_attempt_in_thread, list(ids), claim)
    else:
        deliveries_attempt(ids=ids, claim=claim)


# --------------------------------------------------------------------------- attempts


def deliveries_attempt(*, ids: list[int], claim: dt.datetime) -> int:
    """Attempt each delivery still held by ``claim``; returns how many were sent."""
    sent = 0
    for pk in ids:
        try:
            sent += _attempt(pk, claim)
        except Exception:
            logger.exception("webhook delivery %s: attempt failed unexpectedly", pk)
    return sent


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def render(delivery: WebhookDelivery) -> dict[str, Any]:
    """The body of a delivery. The order block is the order as it stands at
    the first attempt (normally right after the change committed); the
    event, its states and data are the timeline's, which never change. No
    consumer data: the business reads the order through the API. The data's free text (a
    reason, a note, offer terms the consumer typed) is masked (``privacy.scrub_data``) unless the
    business holds the right on the order (``access.business_holds_personal_data``: delivered to it,
    and the business active)."""
    event = None if delivery.kind == Kind.PING or delivery.event_id is None else delivery.event
    if event is None:
        return {
            "id": delivery.pk, "event_id": None, "event": "ping", "created_at": _iso(delivery.created_at),
            "state_from": None, "state_to": None, "order": None,
            "data": {"endpoint_id": delivery.endpoint_id, "message": "Hejie webhook test 推送测试"},
        }
    order = event.complaint
    return {
        "id": delivery.pk, "event_id": event.pk, "event": event.type, "created_at": _iso(event.created_at),
        "state_from": event.state_from or None, "state_to": event.state_to or None,
        "order": {
            "id": order.pk, "number": order.number, "state": order.state, "delivered_at": _iso(order.delivered_at),
            "respond_by": _iso(order.respond_by), "settle_by": _iso(order.settle_by),
        },
        "data": _data_for(order, event.payload or {}),
    }


def _data_for(order: Complaint, data: dict[str, Any]) -> dict[str, Any]:
    masked: dict[str, Any] = privacy.scrub_data(data)
    return data if access.business_holds_personal_data(order) else masked


def body_bytes(delivery: WebhookDelivery) -> bytes:
    """Compact UTF-8 JSON with sorted keys: every attempt of a delivery sends
    the same bytes (the database does not keep key order)."""
    payload = {key: delivery.payload.get(key) for key in BODY_KEYS}
    payload["id"] = delivery.pk
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _attempt(pk: int, claim: dt.datetime) -> int:
    started = clock.now()
    taken = WebhookDelivery.objects.filter(pk=pk, status=Status.PENDING, next_attempt_at=claim).update(
        attempts=F("attempts") + 1, last_attempt_at=started, next_attempt_at=started + SEND_LEASE,
    )
    if not taken:
        return 0  # sent meanwhile by someone else, or gone with its endpoint
    delivery = (WebhookDelivery.objects.select_related("endpoint", "event__complaint__business")
                .filter(pk=pk).first())
    if delivery is None:
        return 0
    if not delivery.endpoint.is_active:
        _record(delivery, transport.Outcome(False, error="endpoint disabled"), started, give_up=True)
        return 0
    rendered = not delivery.payload
    if rendered:
        delivery.payload = render(delivery)
    elif delivery.payload.get("id") != delivery.pk:  # a redelivery: the copied body, its own id
        delivery.payload = {**delivery.payload, "id": delivery.pk}
        rendered = True
    if delivery.event is not None and delivery.payload.get("data"):  # suspended since the first attempt?
        data = _data_for(delivery.event.complaint, delivery.payload["data"])
        if data != delivery.payload["data"]:
            delivery.payload, rendered = {**delivery.payload, "data": data}, True
    body = body_bytes(delivery)
    # The wall clock, not the domain clock: the receiver compares it with its own.
    headers = signing.headers(secret=delivery.endpoint.secret, timestamp=int(time.time()), body=body,
                              event=delivery.event_type, delivery_id=delivery.pk)
    outcome = transport.post(delivery.endpoint.url, body, headers)
    _record(delivery, outcome, started, save_payload=rendered)
    return 1


def _record(delivery: WebhookDelivery, outcome: transport.Outcome, started: dt.datetime, *,
            give_up: bool = False, save_payload: bool = False) -> None:
    attempt = delivery.attempts
    changes: dict[str, Any] = {"last_status_code": outcome.status_code, "last_error": outcome.error[:500]}
    if save_payload:
        changes["payload"] = delivery.payload
    if outcome.ok:
        changes.update(status=Status.DELIVERED, delivered_at=clock.now(), next_attempt_at=None, last_error="")
    elif give_up or attempt >= MAX_ATTEMPTS:
        changes.update(status=Status.FAILED, next_attempt_at=None)
    else:
        changes.update(next_attempt_at=started + RETRY_DELAYS[attempt - 1])
    # Only this attempt's own result is written (a late answer cannot
    # overwrite a later attempt's).
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt, status=Status.PENDING).update(**changes)
    if not outcome.ok:
        logger.info("webhook delivery %s attempt %s to %s failed: %s", delivery.pk, attempt, delivery.endpoint.url,
                    outcome.error)


# --------------------------------------------------------------------------- the periodic pass


def deliveries_dispatch_due(*, now: dt.datetime | None = None, limit: int = DUE_LIMIT,
                            batch_size: int = DUE_BATCH) -> int:
    """Claim pending deliveries that are due (retries, and first attempts
    whose hand-off was lost) in bounded batches and hand them off; prune the
    log past its retention. Called by the sweep; never raises."""
    now = now or clock.now()
    handed = 0
    try:
        while handed < limit:
            with transaction.atomic():
                qs = WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
                if connection.features.has_select_for_update_skip_locked:
                    qs = qs.select_for_update(skip_locked=True)
                size = min(batch_size, limit - handed)
                ids = list(qs.order_by("next_attempt_at").values_list("pk", flat=True)[:size])
                if not ids:
                    break
                claim = max(now, clock.now()) + CLAIM_LEASE
                WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=claim)
                transaction.on_commit(functools.partial(dispatch, ids, claim), robust=True)
            handed += len(ids)
            if len(ids) < size:
                break
        deliveries_prune(now=now)
    except Exception:
        logger.exception("webhook pass failed")
    return handed


def deliveries_prune(*, now: dt.datetime | None = None, batch_size: int = PRUNE_BATCH) -> int:
    """Forget finished deliveries older than the retention period (a batch per call)."""
    now = now or clock.now()
    days = int(getattr(settings, "HEJIE_WEBHOOK_RETENTION_DAYS", RETENTION_DAYS))
    cutoff = now - dt.timedelta(days=days)
    ids = list(
        WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(status=Status.PENDING)
        .order_by("created_at").values_list("pk", flat=True)[:batch_size]
    )
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).delete()
    return len(ids)
