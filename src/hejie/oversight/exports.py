"""Rows of an export of the council's order list (the current view, with its
filters): a header and one row per order, newest first, streamed from the
database in chunks (never the whole result in memory).

The rows hold the values as they are; the writers (``hejie.core.spreadsheets``) keep any
cell from being a formula. Personal data follows ``hejie.accounts.privacy``: the consumer's phone and
name in full only for staff allowed to see them, masked otherwise; the
consumer's free text (the description) scrubbed of phone, ID-card and bank-card numbers
and e-mail addresses for staff without that right. Times are Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from hejie.accounts.access import may_see_personal_data
from hejie.accounts.privacy import mask_name, mask_phone, scrub
from hejie.audit.services import Action, audit_record
from hejie.complaints.models import Complaint
from hejie.complaints.states import State
from hejie.core import clock
from hejie.core.i18n import pick
from hejie.oversight.orders import OrderFilters, council_orders

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer

CHUNK = 2000
FIELDS = ("number", "created_at", "state", "business_name_given", "business__name", "business__industry__name",
          "region__full_name", "problem_type", "claim_type", "claim_amount", "delivered_at", "first_response_at",
          "settled_at", "outcome_at", "stars", "credit_points", "urge_open", "consumer__phone",
          "consumer__display_name", "description")


def header() -> list[str]:
    return [_("编号"), _("提交时间"), _("状态"), _("商家"), _("行业"), _("地区"), _("问题类型"), _("诉求"),
            _("诉求金额（元）"), _("送达时间"), _("首次答复时间"), _("和解时间"), _("结果时间"),
            _("和解用时（小时）"), _("星级"), _("信用分"), _("有待确认的催办"), _("消费者手机号"),
            _("消费者姓名"), _("投诉经过")]


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def export_rows(user: Viewer, filters: OrderFilters, *, fmt: str = "",
                now: dt.datetime | None = None) -> Iterator[Sequence[str | int | float | None]]:
    """The header, then one list per order of ``council_orders(user, filters)``.
    Values are str, int, float or None (for CSV and xlsx alike). The export is recorded in the
    audit trail when this is called (who, the filters, how many rows, the format, whether
    the consumers' personal data is unmasked in it)."""
    allowed = may_see_personal_data(user)
    audit_record(actor=user, action=Action.EXPORT_PERSONAL, object_type="complaint_export",
                 jurisdiction=filters.jurisdiction.pk if filters.jurisdiction else "",
                 detail={"format": fmt, "filters": {k: v for k, v in filters.values.items() if v not in (None, "")},
                         "rows": council_orders(user, filters, now=now).count(), "personal_data": allowed})
    return _rows(user, filters, allowed=allowed, now=now)  # recorded now, in the request, not when streamed


def _rows(user: Viewer, filters: OrderFilters, *, allowed: bool,
          now: dt.datetime | None) -> Iterator[Sequence[str | int | float | None]]:
    states = {value: pick(label) for value, label in State.choices}
    problems = {value: pick(label) for value, label in Complaint.ProblemType.choices}
    claims = {value: pick(label) for value, label in Complaint.ClaimType.choices}
    yield header()
    rows = council_orders(user, filters, now=now).values_list(*FIELDS).iterator(chunk_size=CHUNK)
    for (number, created, state, given, biz, industry, region, problem, claim, amount, delivered, first, settled,
         outcome, stars, points, urge_open, phone, name, description) in rows:
        hours = round((settled - delivered).total_seconds() / 3600, 2) if settled and delivered else None
        yield [
            number, _local(created), states.get(state, state), biz or (given if allowed else scrub(given)),
            industry or "", region,
            problems.get(problem, problem), claims.get(claim, claim),
            float(amount) if amount is not None else None, _local(delivered), _local(first), _local(settled),
            _local(outcome), hours, stars, points, _("是") if urge_open else "",
            (phone or "") if allowed else mask_phone(phone),
            (name or "") if allowed else mask_name(name),
            (description or "") if allowed else scrub(description),
        ]
