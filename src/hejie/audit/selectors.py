"""Reading the audit trail: for its supervisors only (``may_read``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from hejie.audit.models import AuditRecord

# The roles that may hold the right (the values of ``accounts.User.Role``: audit sits below accounts).
READER_ROLES = ("operator", "council")


def may_read(user: Any) -> bool:
    """Operators and council staff whose account carries ``audit_supervisor`` (granted by an
    operator), and nobody else."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)
                and getattr(user, "audit_supervisor", False) and getattr(user, "role", None) in READER_ROLES)


def region_prefix(code: str) -> str:
    """The prefix every region code of ``code``'s subtree starts with ("420100" → "4201")."""
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def audit_records(reader: Any, *, who: str = "", action: str = "", object_type: str = "", object_id: str = "",
                  since: dt.datetime | None = None, until: dt.datetime | None = None) -> QuerySet[AuditRecord]:
    """The records ``reader`` may read, newest first: none unless ``may_read``; an operator all of
    them, council staff those of their jurisdiction's subtree. Filters: ``who`` a username (exact),
    ``action`` an action or its prefix ("staff." for every staff change), ``since``/``until`` a
    half-open range of moments."""
    if not may_read(reader):
        return AuditRecord.objects.none()
    rows = AuditRecord.objects.order_by("-seq")
    if getattr(reader, "role", None) != "operator":
        region = getattr(reader, "region_id", None)
        if not region:
            return AuditRecord.objects.none()
        rows = rows.filter(jurisdiction__startswith=region_prefix(str(region)))
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
