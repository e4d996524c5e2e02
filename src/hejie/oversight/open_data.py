"""Open data: the public's figures by period, region and industry (trends and
breakdowns beside ``complaints.stats``), and the anonymised complaint records
anyone may download as CSV.

The download is one row per complaint *filed* (``created_at``, as a calendar
date in Asia/Shanghai) in the period, within a region's subtree and an
industry, in filing order. ``FIELDS`` says what each column holds (the page
shows the same words); ``EXCLUDED`` says what is never in it. The principle,
as in the CFPB's complaint database but stricter: nothing that identifies or
describes the consumer, and no free text at all (free text is where names and
phone numbers hide). Businesses are public, so a business on the public
record is named; a business that never was (an application) is not, and a
business name typed by the consumer for a business not on the platform is
free text, so it is left out.

The rows are read by keyset (``id > last``, in batches) and written as they
are read: memory stays constant whatever the period. A period is at most
``MAX_DAYS`` days (a year's download at national scale is already tens of
millions of rows; ask for the next year in a second file).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hejie.businesses.models import Industry
from hejie.businesses.selectors import PUBLIC_STATUSES
from hejie.complaints.figures import FAST_SETTLEMENT
from hejie.complaints.models import Complaint
from hejie.complaints.stats import stats_period
from hejie.core import clock
from hejie.core.errors import invalid
from hejie.core.spreadsheets import csv_lines
from hejie.oversight.dashboard import (
    Period,
    default_grain,
    industry_breakdown,
    period_of,
    subregion_breakdown,
    subregions,
    trends,
)
from hejie.regions.models import Region

if TYPE_CHECKING:
    from hejie.regions.models import Region as RegionT

MAX_DAYS = 366
DEFAULT_DAYS = 30
BATCH = 2000

# (column, what it holds in Chinese, in English)
FIELDS: list[tuple[str, str, str]] = [
    ("number", "工单编号", "the order number"),
    ("date_received", "投诉日期（北京时间）", "the date the complaint was filed (Asia/Shanghai)"),
    ("province_code", "省级行政区划代码（GB/T 2260）", "province code (GB/T 2260)"),
    ("province", "省级行政区", "province"),
    ("city_code", "地级行政区划代码（直辖市、省直辖县级市为空）",
     "prefecture code (empty for municipalities and province-governed county-level cities)"),
    ("city", "地级行政区", "prefecture"),
    ("county_code", "县级行政区划代码（只到地级时为空）",
     "county code (empty when the complaint is placed only to a prefecture)"),
    ("county", "县级行政区", "county"),
    ("industry", "行业代码", "industry code"),
    ("industry_name", "行业", "industry"),
    ("business_id", "商户编号（不在平台公示的商户为空）",
     "business id (empty for a business not on the public record)"),
    ("business_name", "商户名称（同上）", "business name (likewise)"),
    ("problem_type", "问题类型", "problem type"),
    ("claim_type", "诉求类型", "what the consumer asked for"),
    ("claim_amount_band", "诉求金额区间（元）", "claimed amount, as a band (yuan)"),
    ("state", "当前状态", "the order's state now"),
    ("outcome", "和解结果：settled（和解成功）、failed（和解失败）或空（未结或其他结局）",
     "outcome: settled, failed, or empty (still open, or ended otherwise)"),
    ("hours_to_first_response", "送达至经营者首次回复的小时数", "hours from delivery to the business's first response"),
    ("hours_to_settle", "送达至和解成功的小时数", "hours from delivery to settlement"),
    ("settled_within_24h", "24小时内和解：yes、no，未和解为空",
     "settled within 24 hours: yes, no, or empty if not settled"),
    ("stars", "本案评分（0-5星，结案时计）", "the case's score in stars (0-5, set when the case ends)"),
]
COLUMNS = [f[0] for f in FIELDS]

EXCLUDED: list[tuple[str, str]] = [
    ("消费者的姓名、手机号、账号和任何编号", "the consumer's name, phone number, account and any id"),
    ("投诉描述、留言、和解方案条款、评价留言等一切自由文本",
     "the description, messages, offer terms, comments: all free text"),
    ("证据文件", "evidence files"),
    ("订单号（消费者与商户之间的订单）", "the order reference (between the consumer and the business)"),
    ("确切金额与购买日期（金额只给区间）", "exact amounts and the purchase date (amounts only as a band)"),
    ("消费者填写的非平台商户名称", "a business name typed by the consumer for a business not on the platform"),
    ("门店", "the store"),
]

AMOUNT_BANDS = [(Decimal(100), "0-99"), (Decimal(500), "100-499"), (Decimal(2000), "500-1999"),
                (Decimal(10000), "2000-9999")]
AMOUNT_TOP = "10000+"


def parse_date(raw: str | None, field: str) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10]) if len(raw) == 10 else dt.date.fromisoformat(raw)
    except ValueError:
        raise invalid(field, _("日期格式应为 YYYY-MM-DD，收到 %(raw)s") % {"raw": repr(raw[:20])}) from None


def open_period(raw_from: str | None, raw_to: str | None, *, max_days: int | None = MAX_DAYS,
                today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period asked for, as two dates (inclusive), checked: the dates
    ``complaints.stats.stats_period`` accepts, and at most ``max_days`` days.
    Missing: ``to`` is today, ``from`` is ``DEFAULT_DAYS`` days before it
    (``to`` inclusive). ``InvalidInput`` on ``from`` or ``to`` with the reason."""
    today = today or clock.local_date()
    date_from, date_to = parse_date(raw_from, "from"), parse_date(raw_to, "to")
    date_to = date_to or today
    date_from = date_from or min(date_to, today) - dt.timedelta(days=DEFAULT_DAYS - 1)
    stats_period(date_from, date_to, today=today)
    if max_days and (date_to - date_from).days + 1 > max_days:
        raise invalid("to", ngettext("一次最多%(n)d天，请分段下载", "一次最多%(n)d天，请分段下载", max_days)
                      % {"n": max_days})
    return date_from, date_to


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start, end = stats_period(date_from, date_to, today=max(date_to, clock.local_date()))
    return start, end


def _scope(*, region: RegionT | None, industry: Industry | None, date_from: dt.date,
           date_to: dt.date) -> QuerySet[Complaint]:
    start, end = _bounds(date_from, date_to)
    qs = Complaint.objects.filter(created_at__gte=start, created_at__lt=end)
    if region is not None:
        qs = qs.filter(**region.subtree_filter())
    if industry is not None:
        qs = qs.filter(business__industry=industry)
    return qs


# ------------------------------------------------------------------ the download


def amount_band(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    for limit, label in AMOUNT_BANDS:
        if amount < limit:
            return label
    return AMOUNT_TOP


_ROW_FIELDS = ("pk", "number", "created_at", "region_l1", "region_l2", "region_l3", "business_id",
               "business__name", "business__status", "business__industry_id", "problem_type", "claim_type",
               "claim_amount", "state", "delivered_at", "first_response_at", "settled_at", "scored_at", "stars")


def _hours(start: dt.datetime | None, end: dt.datetime | None) -> str:
    return f"{(end - start).total_seconds() / 3600:.1f}" if start and end else ""


def open_data_rows(*, region: RegionT | None = None, industry: Industry | None = None, date_from: dt.date,
                   date_to: dt.date, batch_size: int = BATCH) -> Iterator[list[str]]:
    """The rows of the download (``COLUMNS``), read by keyset in batches. Two
    queries per batch at most (the rows; the names of regions not seen yet)."""
    qs = _scope(region=region, industry=industry, date_from=date_from, date_to=date_to)
    industries = {i.code: i.name for i in Industry.objects.all()}
    regions: dict[str, str] = {}
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values_list(*_ROW_FIELDS)[:batch_size])
        if not rows:
            return
        wanted = {code for r in rows for code in r[3:6] if code and code not in regions}
        if wanted:
            regions.update(Region.objects.filter(code__in=wanted).values_list("code", "name"))
        for (_pk, number, created, l1, l2, l3, biz_id, biz_name, biz_status, industry_code, problem, claim, amount,
             state, delivered, responded, settled, scored, stars) in rows:
            public = biz_id is not None and biz_status in PUBLIC_STATUSES
            yield [
                number, clock.local_date(created).isoformat(),
                l1 or "", regions.get(l1, "") if l1 else "", l2 or "", regions.get(l2, "") if l2 else "",
                l3 or "", regions.get(l3, "") if l3 else "",
                industry_code or "", industries.get(industry_code, "") if industry_code else "",
                str(biz_id) if public else "", biz_name if public else "",
                problem, claim, amount_band(amount), state,
                "settled" if settled else ("failed" if scored and stars == 0 else ""),
                _hours(delivered, responded), _hours(delivered, settled),
                ("yes" if settled - delivered <= FAST_SETTLEMENT else "no") if settled and delivered else "",
                "" if stars is None or scored is None else str(stars),
            ]
        last = rows[-1][0]


def open_data_csv(**kwargs: Any) -> Iterator[str]:
    """The download as CSV text, line by line: UTF-8 with a byte-order mark (so
    that Excel reads the Chinese), a header of ``COLUMNS``, then the rows, written by
    ``core.spreadsheets`` (no cell is a formula: a business may be named ``=HYPERLINK(...)``)."""
    yield from csv_lines(itertools.chain([COLUMNS], open_data_rows(**kwargs)))


def csv_filename(*, region: RegionT | None, industry: Industry | None, date_from: dt.date, date_to: dt.date) -> str:
    parts = ["hejie-complaints", region.code if region else "all", industry.code if industry else "all",
             date_from.isoformat(), date_to.isoformat()]
    return "_".join(parts) + ".csv"


# ------------------------------------------------------------------ trends and breakdowns
# The council's dashboard (``oversight.dashboard``) defines the buckets and the
# breakdowns; the public figures are the same numbers over the same set.


def _dashboard_period(date_from: dt.date, date_to: dt.date) -> Period:
    return period_of(date_from=date_from, date_to=date_to, today=max(date_to, clock.local_date()))


def trend_unit(date_from: dt.date, date_to: dt.date) -> str:
    """Days up to a month, weeks up to about half a year, months beyond (the dashboard's rule)."""
    return default_grain(_dashboard_period(date_from, date_to))


def trend(*, region: RegionT | None = None, industry: Industry | None = None, date_from: dt.date,
          date_to: dt.date, unit: str | None = None) -> dict[str, Any]:
    """Complaints filed per day, week (from Monday) or month, in Asia/Shanghai,
    with how many of them were settled and failed by now; every period of the
    range is listed, empty ones with 0. One query on the daily figures (``oversight.dashboard.trends``)."""
    period = _dashboard_period(date_from, date_to)
    unit = unit or trend_unit(date_from, date_to)
    rows = trends(period, unit, region=region, industry=industry.code if industry else None)
    return {"unit": unit, "points": [
        {"period": r["start"], "total": r["filed"], "settled": r["settled"], "failed": r["failed"],
         "settlement_rate": round(r["settled"] / r["filed"], 4) if r["filed"] else None} for r in rows]}


def by_region(*, region: RegionT | None = None, industry: Industry | None = None, date_from: dt.date,
              date_to: dt.date) -> list[dict[str, Any]]:
    """The figures by the next level down (provinces for the whole country; a
    province's prefectures and the county-level units directly under it; a
    prefecture's counties), those with complaints, largest first. Two queries (the daily figures)."""
    children = subregions(region)
    if not children:
        return []
    rows = subregion_breakdown(children, industry=industry.code if industry else None, date_from=date_from,
                               date_to=date_to)
    out = [{"code": r["region"].code, "name": r["region"].name,
            **{k: r[k] for k in ("total", "settled", "failed", "settlement_rate")}} for r in rows if r["total"]]
    return sorted(out, key=lambda r: (-r["total"], r["code"]))


def by_industry(*, region: RegionT | None = None, industry: Industry | None = None, date_from: dt.date,
                date_to: dt.date) -> list[dict[str, Any]]:
    """The figures by the industry of the business, largest first (complaints
    against a business not on the platform have no industry and are left out
    here; they count in the totals). Two queries (the daily figures)."""
    rows = industry_breakdown(region=region, industry=industry.code if industry else None, date_from=date_from,
                              date_to=date_to)
    return [{k: r[k] for k in ("code", "name", "name_en", "total", "settled", "failed", "settlement_rate")}
            for r in rows]
