"""Checking each order's timeline chain (``ComplaintEvent.seq/prev_hash/payload_digest/hash``,
written by ``ComplaintEvent.save``; the hash is ``hejie.audit.chain.event_hash``).

Two checks: (a) always, the chain over the stored digests: numbers 1, 2, 3... without a gap,
each event's ``prev_hash`` the hash of the one before, each hash recomputed from the fields;
(b) each payload against its stored digest, except on orders whose personal data was
pseudonymised (the purge masks personal data inside old payloads; their digests stay as written).
"""

from __future__ import annotations

from collections.abc import Iterator

from hejie.audit import chain
from hejie.audit.services import Break
from hejie.complaints.models import Complaint, ComplaintEvent


def _payload_checked(complaint: Complaint) -> bool:
    return complaint.pseudonymised_at is None  # the purge masked its payloads: their digests are of the originals


def verify_events(*, chunk: int = 500) -> Iterator[Break]:
    """Every place an order's chain breaks, a chunk of orders at a time."""
    last = 0
    while True:
        orders = list(Complaint.objects.filter(pk__gt=last).order_by("pk")[:chunk])
        if not orders:
            return
        last = orders[-1].pk
        checked = {o.pk for o in orders if _payload_checked(o)}
        expected: dict[int, tuple[int, str]] = {}
        rows = ComplaintEvent.objects.filter(complaint_id__in=[o.pk for o in orders]).order_by("complaint_id", "seq")
        for event in rows.iterator(chunk_size=2000):
            seq, prev = expected.get(event.complaint_id, (1, ""))
            where = f"order {event.complaint_id} event id={event.pk} seq={event.seq}"
            if event.seq != seq:
                yield Break(where, f"expected seq {seq} (an event is missing or was inserted)")
            if event.prev_hash != prev:
                yield Break(where, "prev_hash does not match the event before it")
            if event.compute_hash() != event.hash:
                yield Break(where, "hash does not match its fields (the event was edited)")
            if event.complaint_id in checked and chain.payload_digest(event.payload) != event.payload_digest:
                yield Break(where, "payload does not match its digest (the payload was edited)")
            expected[event.complaint_id] = (event.seq + 1, event.hash)
