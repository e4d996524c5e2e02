"""Open figures: the public's aggregates, the council's view of its subtree.
What each figure means is said in ``hejie.complaints.stats``."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from hejie.api.v1.auth import optional_bearer
from hejie.api.v1.schemas import errors
from hejie.complaints.stats import complaint_stats_for

router = Router(tags=["stats"])


class StatsQuery(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    region: str | None = Field(None, max_length=6, description="6-digit GB/T 2260 code; its whole subtree")
    date_from: dt.date | None = Field(None, alias="from", description="first filing date (Asia/Shanghai), YYYY-MM-DD")
    date_to: dt.date | None = Field(None, alias="to", description="last filing date, inclusive")
    industry: str | None = Field(None, max_length=32, description="industry code, e.g. catering")


class Named(Schema):
    code: str
    name: str


class Overdue(Schema):
    as_of: dt.datetime
    awaiting_first_response: int = Field(description="delivered, no first response, respond_by passed")
    near_settle_by: int = Field(description="still reconciling, settle_by within the next 48 hours")
    past_settle_by: int = Field(description="still reconciling, settle_by passed, not yet ended by the sweep")


class StatsOut(Schema):
    region: Named | None = Field(description="the subtree covered; null: the whole country")
    industry: Named | None
    date_from: dt.date | None = Field(serialization_alias="from")
    date_to: dt.date | None = Field(serialization_alias="to")
    total: int
    by_state: dict[str, int]
    settled: int
    failed: int
    settlement_rate: float | None = Field(description="settled ÷ total")
    settled_within_24h: int
    settled_within_24h_share: float | None = Field(description="settled within 24 h of delivery ÷ settled")
    median_hours_to_settle: float | None = Field(
        description="delivery to settlement over the settled orders, in hours, as percentile_cont(0.5); read from "
                    "the daily distribution in tenths of an hour, so within 0.05 h of the exact value")
    p90_hours_to_settle: float | None = Field(description="the same for the 90th percentile (percentile_cont(0.9))")
    overdue: Overdue | None = Field(description="council staff and operators only")


@router.get("", auth=optional_bearer, response={200: StatsOut, **errors(401, 403, 422)}, by_alias=True,
            summary="Complaint figures: public aggregates; council staff get their subtree with overdue counts")
def stats(request, filters: Query[StatsQuery]):
    figures = complaint_stats_for(
        request.auth, region_code=filters.region, industry=filters.industry,
        date_from=filters.date_from, date_to=filters.date_to,
    )
    region, industry = figures["region"], figures["industry"]
    return {
        **figures,
        "region": {"code": region.code, "name": region.full_name} if region else None,
        "industry": {"code": industry.code, "name": industry.name} if industry else None,
        "date_from": figures["from"],
        "date_to": figures["to"],
    }
