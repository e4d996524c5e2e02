"""Writing and checking the audit trail.

``audit_record`` is the one way a record is written: the caller says who did or saw what; the
request id and the client's address come from the request being handled (``hejie.core.context``).
It runs in the caller's transaction (a decision rolled back leaves no record) and takes the chain's
head under a row lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from hejie.audit import chain
from hejie.audit.models import AuditHead, AuditRecord
from hejie.core import clock, context


class Action:
    """What a record says was done (``AuditRecord.action``)."""

    COMPLAINT_FORWARD = "complaint.forward"
    COMPLAINT_FORWARD_EXTERNAL = "complaint.forward_external"
    COMPLAINT_REJECT = "complaint.reject"
    BUSINESS_APPROVE = "business.approve"
    BUSINESS_REFUSE = "business.refuse"
    BUSINESS_SUSPEND = "business.suspend"
    BUSINESS_REACTIVATE = "business.reactivate"
    STAFF_INVITE = "staff.invite"
    STAFF_REMOVE = "staff.remove"
    STAFF_SET_ADMIN = "staff.set_admin"
    STAFF_RESET_PASSWORD = "staff.reset_password"  # noqa: S105 - an action's name, not a password
    PARTNER_APPROVE = "partner.approve"
    PARTNER_REFUSE = "partner.refuse"
    PARTNER_STAFF_ADD = "partner.staff_add"
    LIST_DECISION = "list.decision"
    APPEAL_DECISION = "appeal.decision"
    POLICY_EDIT = "policy.edit"
    USER_CHANGE = "user.change"
    ORDER_VIEW_PERSONAL = "order.view_personal"
    EXPORT_PERSONAL = "export.personal"


ACTIONS = sorted(v for k, v in vars(Action).items() if k.isupper())


def plain(value: Any) -> Any:
    """A form's value as it can be written into a record's detail: a row by its key, rows (a
    queryset, a list) as a list of keys or values."""
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (list, tuple, set)) or hasattr(value, "model"):
        return [plain(v) for v in value]
    return value


def changes(form: Any, names: list[str], *, change: bool = True) -> dict[str, dict[str, Any]]:
    """What a form changed, for a record's detail: each field's value before and after."""
    return {name: {"from": plain(form.initial.get(name)) if change else None,
                   "to": plain(form.cleaned_data.get(name))} for name in names}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def audit_record(*, actor: Any, action: str, object_type: str = "", object_id: object = "",
                 jurisdiction: object = "", detail: dict[str, Any] | None = None,
                 at: dt.datetime | None = None) -> AuditRecord:
    """Append a record. ``actor``: the user (None for the system); ``jurisdiction``: the region
    code the object belongs to (default: the actor's region)."""
    actor_id = getattr(actor, "pk", None)
    if not jurisdiction:
        jurisdiction = getattr(actor, "region_id", None) or ""
    record = AuditRecord(
        at=at or clock.now(),
        actor_id=actor_id,
        actor_username=_text(getattr(actor, "username", "")) if actor_id is not None else "",
        role=_text(getattr(actor, "role", "")) if actor_id is not None else "",
        action=action, object_type=object_type, object_id=_text(object_id)[:64],
        jurisdiction=_text(jurisdiction)[:12], request_id=(context.request_id.get() or "")[:128],
        ip=(context.client_ip.get() or "")[:45], detail=chain.normal(detail or {}),
    )
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:  # a flushed test database; the migration makes the row
            head, _ = AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        record.seq = head.seq + 1
        record.prev_hash = head.hash
        record.hash = record.compute_hash()
        record.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=record.seq, hash=record.hash)
    return record


@dataclass(frozen=True)
class Break:
    """Where a chain breaks: what (``where``) and why."""

    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


def verify_records(*, chunk: int = 2000) -> Iterator[Break]:
    """Walk the audit chain in order; yield every place it breaks (a record edited, removed or
    inserted, the head not at the end)."""
    prev_hash, expected = "", 1
    rows = AuditRecord.objects.order_by("seq").iterator(chunk_size=chunk)
    for record in rows:
        where = f"audit record id={record.pk} seq={record.seq}"
        if record.seq != expected:
            yield Break(where, f"expected seq {expected} (a record is missing or was inserted)")
        if record.prev_hash != prev_hash:
            yield Break(where, "prev_hash does not match the record before it")
        if record.compute_hash() != record.hash:
            yield Break(where, "hash does not match its fields (the record was edited)")
        prev_hash, expected = record.hash, record.seq + 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, "")
    if (head_seq, head_hash) != (expected - 1, prev_hash):
        yield Break("audit head", f"says seq {head_seq}, the chain ends at seq {expected - 1} "
                                  "(records at the end were removed, or the head was edited)")
