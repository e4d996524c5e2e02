"""The audit trail (``hejie.audit``): read by its supervisors only (``audit.selectors.may_read``:
operators and council staff granted ``audit_supervisor``); everyone else is refused (403)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from hejie.api.v1.pagination import keyset_page
from hejie.api.v1.schemas import IsoDateTime, QueryInt, errors
from hejie.audit.selectors import audit_records, may_read
from hejie.core.errors import NotAllowed

router = Router(tags=["audit"])


class AuditQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    who: str | None = Field(None, max_length=150, description="a username: what that person did or saw")
    action: str | None = Field(None, max_length=64,
                               description="an action (e.g. order.view_personal) or a prefix ending in '.' (staff.)")
    object_type: str | None = Field(None, max_length=64)
    object_id: str | None = Field(None, max_length=64)
    since: IsoDateTime | None = Field(None, description="from this moment (ISO 8601), included")
    until: IsoDateTime | None = Field(None, description="until this moment (ISO 8601), excluded")
    cursor: str | None = Field(None, max_length=500)
    size: QueryInt | None = Field(None, ge=1, le=100, description="page size, 1-100 (default 20)")


class AuditOut(Schema):
    seq: int = Field(description="the record's place in the chain")
    at: dt.datetime
    actor_id: int | None
    actor_username: str
    role: str
    action: str
    object_type: str
    object_id: str
    jurisdiction: str
    request_id: str
    ip: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: str | None


@router.get("", response={200: AuditPage, **errors(401, 403, 422)},
            summary="The audit trail, newest first (audit supervisors only)",
            description="Who decided or saw what, when, from where; filters by who, action and time. Operators "
                        "read every record, council supervisors those of their jurisdiction.")
def audit_list(request, filters: Query[AuditQuery]):
    if not may_read(request.auth):
        raise NotAllowed(_("只有审计监督人员可以查看审计记录"))
    rows = audit_records(request.auth, who=filters.who or "", action=filters.action or "",
                         object_type=filters.object_type or "", object_id=filters.object_id or "",
                         since=filters.since, until=filters.until)
    page, next_cursor = keyset_page(rows, field="seq", cursor=filters.cursor, size=filters.size,
                                    datetime_field=False)
    return {"items": page, "next_cursor": next_cursor}
