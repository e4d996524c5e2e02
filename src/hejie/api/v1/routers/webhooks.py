"""Webhooks: a business's admin staff register URLs of their own systems;
every event on the business's orders is POSTed there, signed, retried with
backoff, and logged here.

Verifying a delivery (receiver side): take the raw body and the
`X-Hejie-Timestamp` header; compute `"sha256=" + hex(HMAC-SHA256(secret,
timestamp + "." + body))`; compare it in constant time with
`X-Hejie-Signature`; refuse it if the timestamp is more than 5 minutes from
your clock; answer 2xx within 5 s; deduplicate on the body's `id`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, Field

from hejie.accounts import access, privacy
from hejie.api.v1.pagination import keyset_page
from hejie.api.v1.schemas import QueryInt, StrictSchema, errors, whole_number
from hejie.webhooks import selectors, services
from hejie.webhooks.models import URL_MAX_LENGTH

router = Router(tags=["webhooks"])

MAX_ID = 2**63 - 1
EndpointId = Annotated[int, BeforeValidator(whole_number),
                       Path(..., ge=1, le=MAX_ID, description="webhook endpoint id")]
DeliveryId = Annotated[int, BeforeValidator(whole_number), Path(..., ge=1, le=MAX_ID, description="delivery id")]


class EndpointIn(StrictSchema):
    url: str = Field(max_length=URL_MAX_LENGTH, description="an http(s) URL of your system (public address)")
    description: str = Field("", max_length=services.DESCRIPTION_MAX)


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    is_active: bool
    created_at: dt.datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="signs every delivery (HMAC-SHA256); shown this once only — store it now")


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    kind: str = Field(description="event, ping (a test) or redelivery")
    event: str = Field(description="the event type, e.g. submitted, message, proposal, accept; ping for a test")
    event_id: int | None
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    next_attempt_at: dt.datetime | None = Field(description="when a pending delivery is tried next")
    last_status_code: int | None
    last_error: str
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    payload: dict[str, Any] = Field(description="the JSON body as sent (empty until the first attempt)")


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveryFilters(Schema):
    status: Literal["pending", "delivered", "failed"] | None = None
    cursor: str | None = Field(None, max_length=200)
    size: QueryInt | None = Field(None, description="page size, 1 to 100 (default 20)")


def endpoint_out(endpoint) -> dict:
    return {"id": endpoint.pk, "url": endpoint.url, "description": endpoint.description,
            "is_active": endpoint.is_active, "created_at": endpoint.created_at}


def delivery_out(delivery, reader) -> dict:
    """A delivery as its log shows it to ``reader``: its body's data through ``privacy.scrub_data``
    when the reader may not see personal data (a suspended business's staff)."""
    payload = delivery.payload or {}
    if payload.get("data") and not access.may_see_personal_data_sent(reader):
        payload = {**payload, "data": privacy.scrub_data(payload["data"])}
    return {
        "id": delivery.pk, "endpoint_id": delivery.endpoint_id, "kind": delivery.kind, "event": delivery.event_type,
        "event_id": delivery.event_id, "status": delivery.status, "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
        "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
        "last_attempt_at": delivery.last_attempt_at, "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at, "payload": payload,
    }


VERIFYING = """Every event on your business's orders is POSTed to each active endpoint as JSON:
`{"id": delivery id, "event_id", "event": type, "created_at", "state_from", "state_to",
"order": {"id", "number", "state", "delivered_at", "respond_by", "settle_by"}, "data": the event's details}`
(a test sends `"event": "ping"`). No consumer personal data: read the order through the API.

Headers: `X-Hejie-Event`, `X-Hejie-Delivery` (= id), `X-Hejie-Timestamp` (unix seconds) and
`X-Hejie-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.

To verify: compute that HMAC over the raw body bytes with the secret returned here, compare it in constant time
with the header, and refuse the request if the timestamp is more than 5 minutes from your clock. Answer 2xx
within 5 seconds. Anything else is retried 1 min, 5 min, 30 min, 2 h and 12 h later, then given up (failed);
a delivery may arrive more than once, so deduplicate on `id`. Only public http(s) addresses are sent to;
redirects are not followed. At most 5 endpoints per business."""


@router.post("", response={201: EndpointCreated, **errors(400, 401, 403, 409, 422)},
             summary="Register a webhook endpoint (business admin); the response shows its secret once",
             description=VERIFYING)
def create_endpoint(request, payload: EndpointIn):
    endpoint = services.endpoint_create(actor=request.auth, url=payload.url, description=payload.description)
    return Status(201, {**endpoint_out(endpoint), "secret": endpoint.secret})


@router.get("", response={200: list[EndpointOut], **errors(401, 403)},
            summary="Your business's webhook endpoints (without their secrets)")
def list_endpoints(request):
    return [endpoint_out(e) for e in selectors.endpoints_for(request.auth)]


@router.delete("/{endpoint_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Delete a webhook endpoint and its delivery log")
def delete_endpoint(request, endpoint_id: EndpointId):
    services.endpoint_delete(actor=request.auth, endpoint_id=endpoint_id)
    return Status(204, None)


@router.post("/{endpoint_id}/test", response={202: DeliveryOut, **errors(401, 403, 404, 409, 422, 429)},
             summary="Send a signed ping event to the endpoint (see its delivery log for the result)")
def test_endpoint(request, endpoint_id: EndpointId):
    delivery = services.endpoint_ping(actor=request.auth, endpoint_id=endpoint_id)
    return Status(202, delivery_out(delivery, request.auth))


@router.get("/{endpoint_id}/deliveries", response={200: DeliveryPage, **errors(401, 403, 404, 422)},
            summary="The endpoint's delivery log, newest first (cursor-paginated)")
def list_deliveries(request, endpoint_id: Annotated[int, EndpointId], filters: Query[DeliveryFilters]):
    qs = selectors.deliveries_for(request.auth, endpoint_id, status=filters.status)
    rows, next_cursor = keyset_page(qs, field="created_at", cursor=filters.cursor, size=filters.size)
    return {"items": [delivery_out(d, request.auth) for d in rows], "next_cursor": next_cursor}


@router.post("/deliveries/{delivery_id}/redeliver",
             response={202: DeliveryOut, **errors(401, 403, 404, 409, 422, 429)},
             summary="Send a finished delivery again (a new delivery with the same body and event_id)")
def redeliver(request, delivery_id: DeliveryId):
    delivery = services.delivery_redeliver(actor=request.auth, delivery_id=delivery_id)
    return Status(202, delivery_out(delivery, request.auth))
