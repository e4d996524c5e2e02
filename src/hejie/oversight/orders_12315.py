"""The orders of a report's period in a layout the national 12315 platform's complaint import reads
(全国12315平台 投诉登记): one row per order, the columns of ``COLUMNS`` in that order, documented
field by field in ``docs/12315-export.md``. Written as CSV through ``core.spreadsheets.csv_lines``
(UTF-8 with a BOM, no cell a formula), streamed from the database in chunks.

The set is the report's: orders filed in the period in the region's subtree, among those the
user may see (``Complaint.objects.visible_to``). Personal data follows ``accounts.privacy``: the
complainant's name and phone in full only for staff holding the personal-data right, masked
otherwise; the description scrubbed of numbers and addresses for them too. Dates are Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import DecimalField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import translation

from hejie.accounts.access import may_see_personal_data
from hejie.accounts.privacy import mask_name, mask_phone, scrub
from hejie.audit.services import Action, audit_record
from hejie.complaints.models import Complaint, Mediation, Proposal
from hejie.complaints.states import State
from hejie.core import clock
from hejie.oversight import categories as cca
from hejie.oversight.report import ReportPeriod, orders_q

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.regions.models import Region

CHUNK = 2000
CHANNEL_ONLINE = "互联网"  # every order on this branch was filed by the consumer online (see the doc)
ORGAN = "消费者协会"

# (column, what it holds): the header is the first element, in Chinese as 12315 names it.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("登记编号", "Hejie order number"),
    ("登记日期", "filing date"),
    ("受理日期", "date the order was accepted (delivered to the business)"),
    ("受理渠道", "channel"),
    ("投诉人姓名", "complainant's name (masked without the personal-data right)"),
    ("投诉人电话", "complainant's mobile (masked without the personal-data right)"),
    ("被投诉方名称", "business"),
    ("统一社会信用代码", "business's unified social credit code"),
    ("被投诉方地址", "business's address"),
    ("行政区划代码", "GB/T 2260 code of the order's region"),
    ("所属地区", "region's full name"),
    ("商品服务大类", "CCA 商品类/服务类"),
    ("商品服务类别", "CCA sub-class"),
    ("投诉性质", "CCA nature of problem"),
    ("问题类型", "Hejie problem type"),
    ("消费者诉求", "claim"),
    ("涉及金额", "amount claimed, yuan"),
    ("投诉内容", "description (scrubbed without the personal-data right)"),
    ("处理状态", "open or concluded"),
    ("处理结果", "outcome"),
    ("办结日期", "date of the outcome"),
    ("挽回经济损失", "amount recovered, yuan"),
    ("处理机构", "organ handling it"),
)

# Hejie state → 12315 处理结果
RESULTS = {
    State.PENDING_REVIEW: "待受理",
    State.REJECTED: "不予受理",
    State.DELIVERED: "处理中",
    State.NEGOTIATING: "处理中",
    State.SETTLED: "和解成功",
    State.FAILED: "调解不成功",
    State.WITHDRAWN: "投诉人撤回",
    State.UNRESPONSIVE: "终止调解",
    State.MEDIATING: "调解中",
    State.MEDIATED: "调解成功",
    State.MEDIATION_FAILED: "调解不成功",
}
OPEN = {State.PENDING_REVIEW, State.DELIVERED, State.NEGOTIATING, State.MEDIATING}
FIELDS = ("number", "created_at", "delivered_at", "consumer__display_name", "consumer__phone", "business__name",
          "business_name_given", "business__credit_code", "business__address", "region_id", "region__full_name",
          "business__industry_id", "problem_type", "claim_type", "claim_amount", "description", "state",
          "outcome_at", "recovered", "fulfilment")


def header() -> list[str]:
    return [name for name, _ in COLUMNS]


def _day(moment: dt.datetime | None) -> dt.date | None:
    return clock.local_date(moment) if moment else None


def _recovered() -> Coalesce:
    """The accepted offer's amount (settled) or the successful mediation's (mediated)."""
    money: Any = DecimalField(max_digits=12, decimal_places=2)
    offer = (Proposal.objects.filter(complaint=OuterRef("pk"), status=Proposal.Status.ACCEPTED)
             .order_by("-decided_at", "-id").values("amount")[:1])
    mediation = (Mediation.objects.filter(complaint=OuterRef("pk"), outcome=Mediation.Outcome.SETTLED)
                 .order_by("-decided_at", "-id").values("amount")[:1])
    return Coalesce(Subquery(mediation, output_field=money), Subquery(offer, output_field=money),
                    output_field=money)


def rows_12315(user: Viewer, *, region: Region | None, period: ReportPeriod
               ) -> Iterator[Sequence[str | int | float | Decimal | dt.date | None]]:
    """The header, then one row per order, oldest first. The export is recorded in the audit trail
    now, in the request (the rows are produced later, while the response streams)."""
    allowed = may_see_personal_data(user)
    audit_record(actor=user, action=Action.EXPORT_PERSONAL, object_type="complaint_export",
                 jurisdiction=region.code if region is not None else "",
                 detail={"format": "12315-csv", "from": period.date_from.isoformat(),
                         "to": period.date_to.isoformat(), "personal_data": allowed})
    return _rows(user, region=region, period=period, allowed=allowed)


def _rows(user: Viewer, *, region: Region | None, period: ReportPeriod, allowed: bool
          ) -> Iterator[Sequence[str | int | float | Decimal | dt.date | None]]:
    with translation.override("zh-hans"):  # the file is read by 12315: its labels are Chinese
        problems = {value: str(label) for value, label in Complaint.ProblemType.choices}
        claims = {value: str(label) for value, label in Complaint.ClaimType.choices}
    yield header()
    qs = (Complaint.objects.visible_to(user).filter(orders_q(region, period)).annotate(recovered=_recovered())
          .order_by("created_at", "id").values_list(*FIELDS))
    for (number, created, delivered, name, phone, business, given, credit_code, address, region_code, region_name,
         industry, problem, claim, amount, description, state, outcome_at, recovered, fulfilment) in qs.iterator(
            chunk_size=CHUNK):
        klass = cca.industry_class(industry)
        counted = state in (State.SETTLED, State.MEDIATED) and fulfilment != Complaint.Fulfilment.NOT_FULFILLED
        yield [
            number, _day(created), _day(delivered) if state != State.REJECTED else None, CHANNEL_ONLINE,
            (name or "") if allowed else mask_name(name), (phone or "") if allowed else mask_phone(phone),
            business or (given if allowed else scrub(given)), credit_code or "", address or "",
            region_code, region_name, klass_kind_zh(klass.kind),
            klass.name, cca.problem_nature(problem).name, problems.get(problem, problem),
            claims.get(claim, claim), _yuan(amount),
            (description or "") if allowed else scrub(description),
            "处理中" if state in OPEN else "已办结", RESULTS.get(State(state), state),
            _day(outcome_at) if state not in OPEN else None,
            _yuan(recovered) if counted and recovered is not None else Decimal("0.00") if state not in OPEN else None,
            ORGAN,
        ]


def _yuan(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else Decimal(amount).quantize(Decimal("0.01"))


def klass_kind_zh(kind: str) -> str:
    """商品类 or 服务类 in Chinese whatever the request's language: the file is read by 12315."""
    return {cca.GOODS: "商品类", cca.SERVICES: "服务类"}.get(kind, "")
