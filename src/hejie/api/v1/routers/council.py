"""The council's own queues with their clocks (``hejie.oversight.clocks``): the review queue, the
mediations under way and the black-list appeals waiting, each by time left with the overdue first, and
the overdue counts of each child region. Council staff see their jurisdiction's subtree, operators
everything; anyone else is refused (403)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from hejie.api.v1.schemas import errors
from hejie.core import clock
from hejie.oversight import clocks

router = Router(tags=["council"])


class QueueQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(None, max_length=6, description="6-digit code inside the jurisdiction: its subtree")
    limit: int = Field(clocks.QUEUE_MAX, ge=1, le=clocks.QUEUE_MAX, description="the most rows, overdue first")


class RegionQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(None, max_length=6, description="6-digit code inside the jurisdiction")


class QueueItemOut(Schema):
    queue: str
    id: int = Field(description="the item's id: the order's (review), the mediation's, the appeal's")
    complaint_id: int | None
    number: str = Field(description="the order's number; \"\" for an appeal")
    business: str = Field(description="the business's name (or the name given for one not on the platform)")
    region: str = Field(description="the region code of the order (or of the appealing business)")
    arrived_at: dt.datetime
    deadline: dt.datetime | None = Field(description="midnight (Asia/Shanghai) ending the last working day; null "
                                                     "for an order waiting for its business to claim an account")
    last_day: dt.date | None
    workdays_left: int | None = Field(description="working days after today up to the last day (0 on the last day)")
    workdays_overdue: int | None = Field(description="working days begun since the deadline passed")
    overdue: bool


class QueueOut(Schema):
    queue: str
    as_of: dt.datetime
    items: list[QueueItemOut]


class ChildOut(Schema):
    code: str
    name: str
    review: int
    mediation: int
    appeals: int
    total: int


class OverdueOut(Schema):
    as_of: dt.datetime
    children: list[ChildOut] = Field(description="each child region of the jurisdiction, most overdue first")


def _row(item: clocks.Item) -> dict:
    regional = clocks.regional(item.queue, item.row)
    order = item.order
    if order is not None:
        business = order.business_display_name
    else:
        business = item.row.entry.business.name
    return {
        "queue": item.queue, "id": item.row.pk,
        "complaint_id": order.pk if order is not None else None, "number": order.number if order else "",
        "business": business, "region": regional.region_id, "arrived_at": item.arrived_at.astimezone(dt.UTC),
        "deadline": item.deadline.astimezone(dt.UTC) if item.deadline else None, "last_day": item.last_day,
        "workdays_left": item.left, "workdays_overdue": item.overdue, "overdue": item.is_overdue,
    }


@router.get("/queues/{queue}", response={200: QueueOut, **errors(401, 403, 422)},
            summary="A council queue in the jurisdiction by time left, the overdue first (council, operator)")
def queue(request, queue: Literal["review", "mediation", "appeals"], filters: Query[QueueQuery]):
    now = clock.now()
    rows = clocks.council_queue(request.auth, queue, now=now, region_code=filters.region, limit=filters.limit)
    return {"queue": queue, "as_of": now.astimezone(dt.UTC), "items": [_row(r) for r in rows]}


@router.get("/overdue", response={200: OverdueOut, **errors(401, 403, 422)},
            summary="Overdue items of each council queue in each child region (council, operator)")
def overdue(request, filters: Query[RegionQuery]):
    now = clock.now()
    rows = clocks.overdue_by_child(request.auth, now=now, region_code=filters.region)
    return {"as_of": now.astimezone(dt.UTC), "children": [
        {"code": r.region.code, "name": r.region.full_name, "review": r.review, "mediation": r.mediation,
         "appeals": r.appeals, "total": r.total} for r in rows]}
