"""Reading the audit trail: for its supervisors only (``may_read``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from hejie.audit.models import AuditRecord


def may_read(user: Any) -> bool:
    """Users with ``audit_supervisor`` (granted by an operator) and nobody else."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)
                and getattr(user, "audit_supervisor", False))


def audit_records(*, who: str = "", action: str = "", object_type: str = "", object_id: str = "",
                  since: dt.datetime | None = None, until: dt.datetime | None = None) -> QuerySet[AuditRecord]:
    """The records, newest first, filtered: ``who`` a username (exact), ``action`` an action or its
    prefix ("staff." for every staff change), ``since``/``until`` a half-open range of moments."""
    rows = AuditRecord.objects.order_by("-seq")
    if who:
        rows = rows.filter(actor_username=who)
    if action:
        rows = rows.filter(action__startswith=action) if action.endswith(".") else rows.filter(action=action)
    if object_type:
        rows = rows.filter(object_type=object_type)
    if object_id:
        rows = rows.filter(object_id=object_id)
    if since is not None:
        rows = rows.filter(at__gte=since)
    if until is not None:
        rows = rows.filter(at__lt=until)
    return rows
