"""Signing deliveries, and how a receiver checks them.

Every delivery carries::

    X-Hejie-Timestamp: 1773540000                 (unix seconds when this attempt was signed)
    X-Hejie-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>
    X-Hejie-Event:     accept                     (the event type; "ping" for a test)
    X-Hejie-Delivery:  123                        (the delivery id, also the body's "id")

``body`` is the raw request body, byte for byte as received (UTF-8 JSON);
the secret is the one shown once when the endpoint was created. A receiver:

1. reads the raw body before any JSON parsing;
2. computes ``"sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))``
   and compares it with ``X-Hejie-Signature`` in constant time;
3. refuses the request if the timestamp is more than 5 minutes away from its
   own clock (a captured request cannot be replayed later: the timestamp is
   inside the signature, so it cannot be changed);
4. answers 2xx quickly (within 5 s), and treats the body's ``id`` as an
   idempotency key: a delivery may arrive more than once (a retry after a
   lost answer, or a redelivery asked for by hand, which gets a new ``id``
   but the same ``event_id``).

``verify()`` below is that recipe in Python.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(*, secret: str, timestamp: int, body: bytes, event: str, delivery_id: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Hejie-Webhooks/1",
        "X-Hejie-Event": event,
        "X-Hejie-Delivery": str(delivery_id),
        "X-Hejie-Timestamp": str(timestamp),
        "X-Hejie-Signature": signature(secret, timestamp, body),
    }


def verify(*, secret: str, body: bytes, timestamp: str, signature_header: str, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """A receiver's check: the signature matches and the timestamp is fresh."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    expected = signature(secret, ts, body).encode("ascii")
    return hmac.compare_digest(expected, (signature_header or "").encode("utf-8", "replace"))
