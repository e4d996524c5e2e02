"""The hashes of the two chains: the audit records (``AuditRecord``) and each order's timeline
(``hejie.complaints.models.ComplaintEvent``). Pure functions of values, so the migrations that
backfill a chain and ``hejie audit verify`` compute exactly what the write path computed.

A hash is the SHA-256 (hex) of a *canonical JSON*: keys sorted, no spaces, UTF-8, moments as
ISO 8601 in UTC with microseconds. An event's hash covers its order, its number on the order's
timeline (``seq``), its type, its actor, its moment, the previous event's hash and the digest of
its payload (not the payload itself: the privacy purge may mask personal data inside an old
payload, and the chain over the stored digests stays verifiable after it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def normal(value: Any) -> Any:
    """``value`` as it comes back from a JSON column (tuples become lists, moments strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def canonical(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def moment(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def payload_digest(payload: Any) -> str:
    return digest(normal(payload if payload is not None else {}))


def event_hash(*, order_id: int, seq: int, kind: str, actor_id: int | None, at: dt.datetime, prev_hash: str,
               payload_digest: str) -> str:
    return digest({"order": order_id, "seq": seq, "kind": str(kind), "actor": actor_id, "at": moment(at),
                   "prev": prev_hash, "payload": payload_digest})


def record_hash(fields: dict[str, Any]) -> str:
    """The hash of an audit record's fields (``AuditRecord.chained_fields``)."""
    return digest(fields)
