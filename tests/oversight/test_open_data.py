"""The open-data selector: the period rule at its limits, the trends and
breakdowns, the CSV's columns and rows, and what is never in it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from hejie.businesses.models import Industry
from hejie.complaints import services as svc
from hejie.core import clock
from hejie.core.errors import InvalidInput
from hejie.oversight import open_data
from hejie.regions.models import Region

TODAY = dt.date(2026, 3, 15)  # the traveller's T0 in Shanghai
NAME = "李秀英"
PHONE_IN_TEXT = "13698765432"
ORDER_REF = "TB-20260314-5566"


def rows_of(**kwargs) -> list[dict]:
    text = "".join(open_data.open_data_csv(**kwargs))
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def file(consumer, biz, *, ref="", **extra):
    data = dict(problem_type="quality", claim_type="refund", claim_amount="38.00",
                description=f"我是{NAME}，手机{PHONE_IN_TEXT}，订单{ORDER_REF}，热干面里有异物。")
    data.update(extra)
    return svc.complaint_submit(consumer=consumer, business_id=biz.pk, order_ref=ref, **data)


# --------------------------------------------------------------------------- the period


@pytest.mark.parametrize(("raw_from", "raw_to", "expected"), [
    ("", "", (dt.date(2026, 2, 14), TODAY)),  # the last 30 days, today included
    ("2026-03-01", "", (dt.date(2026, 3, 1), TODAY)),
    ("2025-03-15", "2026-03-15", (dt.date(2025, 3, 15), TODAY)),  # 366 days: the most
    ("2026-03-15", "2026-03-15", (TODAY, TODAY)),
])
def test_a_period_within_the_rules(traveller, raw_from, raw_to, expected):
    assert open_data.open_period(raw_from, raw_to) == expected


@pytest.mark.parametrize(("raw_from", "raw_to", "field", "words"), [
    ("2025-03-14", "2026-03-15", "to", "366"),  # 367 days: one too many
    ("2026-03-16", "", "from", "不能晚于今天"),  # tomorrow
    ("", "2026-03-16", "to", "不能晚于今天"),
    ("2026-03-10", "2026-03-09", "to", "不能早于开始日期"),
    ("1999-12-31", "2000-01-05", "from", "2000-01-01"),
    ("15/03/2026", "", "from", "YYYY-MM-DD"),
    ("2026-02-30", "", "from", "YYYY-MM-DD"),
])
def test_a_bad_period_is_refused_with_the_reason(traveller, raw_from, raw_to, field, words):
    with pytest.raises(InvalidInput) as exc:
        open_data.open_period(raw_from, raw_to)
    assert field in exc.value.fields and words in exc.value.fields[field]


def test_the_figures_page_may_ask_for_longer_periods(traveller):
    assert open_data.open_period("2024-01-01", "2026-03-15", max_days=None) == (dt.date(2024, 1, 1), TODAY)


@pytest.mark.parametrize(("amount", "band"), [
    (None, ""), (Decimal("0"), "0-99"), (Decimal("99.99"), "0-99"), (Decimal("100"), "100-499"),
    (Decimal("499.99"), "100-499"), (Decimal("500"), "500-1999"), (Decimal("9999.99"), "2000-9999"),
    (Decimal("10000"), "10000+"),
])
def test_amounts_are_only_given_as_bands(amount, band):
    assert open_data.amount_band(amount) == band


# --------------------------------------------------------------------------- the download


def test_the_csv_has_the_documented_columns_and_one_row_per_complaint(traveller, business, staff, consumer):
    order = file(consumer, business, ref=ORDER_REF)
    traveller.shift(dt.timedelta(hours=2))
    svc.message_post(actor=staff, complaint=order, body="您好")
    p = svc.proposal_make(actor=staff, complaint=order, terms="全额退款", amount="38.00")
    traveller.shift(dt.timedelta(hours=1))
    svc.proposal_accept(actor=consumer, complaint=order, proposal_id=p.pk)

    text = "".join(open_data.open_data_csv(date_from=TODAY, date_to=TODAY))
    assert text.splitlines()[0] == "\ufeff" + ",".join(open_data.COLUMNS)
    [row] = rows_of(date_from=TODAY, date_to=TODAY)
    assert list(row) == open_data.COLUMNS == [f[0] for f in open_data.FIELDS]
    assert row == {
        "number": order.number, "date_received": "2026-03-15",
        "province_code": "420000", "province": "湖北省", "city_code": "420100", "city": "武汉市",
        "county_code": "420102", "county": "江岸区", "industry": "catering", "industry_name": "餐饮",
        "business_id": str(business.pk), "business_name": "武汉热干面馆", "problem_type": "quality",
        "claim_type": "refund", "claim_amount_band": "0-99", "state": "settled", "outcome": "settled",
        "hours_to_first_response": "2.0", "hours_to_settle": "3.0", "settled_within_24h": "yes", "stars": "5",
    }


def test_the_csv_scrubs_the_consumer_and_all_free_text(traveller, business, staff, make_user):
    consumer = make_user("consumer", display_name=NAME)
    order = file(consumer, business, ref=ORDER_REF)
    svc.message_post(actor=consumer, complaint=order, body=f"{NAME}在等回复，电话 {PHONE_IN_TEXT}")
    svc.message_post(actor=staff, complaint=order, body=f"{NAME}您好，我们会打 {PHONE_IN_TEXT}")
    svc.complaint_refuse(actor=staff, complaint=order, reason=f"{NAME}的要求不合理")
    text = "".join(open_data.open_data_csv(date_from=TODAY, date_to=TODAY))
    for secret in (NAME, PHONE_IN_TEXT, ORDER_REF, "热干面里有异物", "不合理", consumer.phone, consumer.username,
                   consumer.phone[-4:] + ","):
        assert secret not in text, secret
    [row] = rows_of(date_from=TODAY, date_to=TODAY)
    assert row["outcome"] == "failed" and row["stars"] == "0" and row["hours_to_settle"] == ""
    assert row["settled_within_24h"] == ""
    assert not set(row) & {"consumer", "consumer_id", "phone", "description", "order_ref", "claim_amount"}


def test_the_csv_names_only_businesses_on_the_public_record(traveller, make_business, make_user):
    applied = make_business("申请中的小店", status="applied")
    # filed against a business that is not on the platform: queued for the council, name typed by the consumer
    svc.complaint_submit(consumer=make_user("consumer"), business_name=f"{NAME}的小卖部", region_code="420102",
                         problem_type="price", description="价格欺诈，标价与结算不符。", claim_type="refund",
                         claim_amount="10")
    svc.complaint_submit(consumer=make_user("consumer"), business_id=applied.pk, problem_type="price",
                         description="价格欺诈，标价与结算不符。", claim_type="refund", claim_amount="10")
    text = "".join(open_data.open_data_csv(date_from=TODAY, date_to=TODAY))
    assert "申请中的小店" not in text and "小卖部" not in text and NAME not in text
    rows = rows_of(date_from=TODAY, date_to=TODAY)
    assert len(rows) == 2 and {r["business_id"] for r in rows} == {""}
    assert {r["state"] for r in rows} == {"pending_review"}


def test_the_csv_covers_the_period_region_and_industry_asked_for(traveller, make_business, make_user):
    wuhan = make_business("武汉面馆", region="420102", industry="catering")
    shop = make_business("武汉商场", region="420102", industry="retail")
    yichang = make_business("宜昌面馆", region="420502", industry="catering")
    # 23:59 Shanghai on the 14th, and 00:00 on the 15th: one a day each side of midnight
    traveller.move_to(dt.datetime(2026, 3, 14, 23, 59, tzinfo=clock.SHANGHAI))
    late = file(make_user("consumer"), wuhan)
    traveller.move_to(dt.datetime(2026, 3, 15, 0, 0, tzinfo=clock.SHANGHAI))
    early = file(make_user("consumer"), wuhan)
    file(make_user("consumer"), shop)
    file(make_user("consumer"), yichang)
    traveller.move_to(dt.datetime(2026, 3, 15, 10, 0, tzinfo=clock.SHANGHAI))

    assert [r["number"] for r in rows_of(date_from=TODAY - dt.timedelta(days=1),
                                         date_to=TODAY - dt.timedelta(days=1))] == [late.number]
    assert len(rows_of(date_from=TODAY, date_to=TODAY)) == 3
    wuhan_region = Region.objects.get(code="420100")
    catering = Industry.objects.get(code="catering")
    got = rows_of(date_from=TODAY, date_to=TODAY, region=wuhan_region, industry=catering)
    assert [r["number"] for r in got] == [early.number]
    assert len(rows_of(date_from=TODAY - dt.timedelta(days=1), date_to=TODAY,
                       region=Region.objects.get(code="420000"))) == 4


def test_the_rows_are_read_in_batches_by_keyset(traveller, business, make_user, django_assert_max_num_queries):
    orders = [file(make_user("consumer"), business, ref=str(i)) for i in range(5)]
    with django_assert_max_num_queries(1 + 3 * 2 + 1):  # industries; per batch: rows (+ new region names); the end
        got = list(open_data.open_data_rows(date_from=TODAY, date_to=TODAY, batch_size=2))
    assert [r[0] for r in got] == [o.number for o in orders]


# --------------------------------------------------------------------------- trends and breakdowns


def test_the_trend_counts_by_shanghai_day_and_lists_empty_days(traveller, business, make_user):
    traveller.move_to(dt.datetime(2026, 3, 13, 23, 30, tzinfo=clock.SHANGHAI))  # 15:30 UTC
    file(make_user("consumer"), business)
    traveller.move_to(dt.datetime(2026, 3, 15, 0, 30, tzinfo=clock.SHANGHAI))  # 16:30 UTC on the 14th
    file(make_user("consumer"), business)
    file(make_user("consumer"), business)
    t = open_data.trend(date_from=dt.date(2026, 3, 12), date_to=TODAY)
    assert t["unit"] == "day"
    assert [(p["period"], p["total"]) for p in t["points"]] == [
        (dt.date(2026, 3, 12), 0), (dt.date(2026, 3, 13), 1), (dt.date(2026, 3, 14), 0), (TODAY, 2)]


def test_the_trend_unit_follows_the_length_of_the_period(traveller, business, make_user):
    assert open_data.trend_unit(dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == "day"  # 31 days
    assert open_data.trend_unit(dt.date(2026, 1, 1), dt.date(2026, 2, 1)) == "week"
    assert open_data.trend_unit(dt.date(2025, 9, 7), dt.date(2026, 3, 15)) == "week"  # 190 days
    assert open_data.trend_unit(dt.date(2025, 9, 6), dt.date(2026, 3, 15)) == "month"
    file(make_user("consumer"), business)
    weeks = open_data.trend(date_from=dt.date(2026, 1, 1), date_to=TODAY, unit="week")["points"]
    assert weeks[0]["period"] == dt.date(2025, 12, 29)  # the Monday of the first week
    assert weeks[-1]["period"] == dt.date(2026, 3, 9) and weeks[-1]["total"] == 1
    months = open_data.trend(date_from=dt.date(2025, 12, 15), date_to=TODAY, unit="month")["points"]
    assert [(p["period"], p["total"]) for p in months] == [
        (dt.date(2025, 12, 1), 0), (dt.date(2026, 1, 1), 0), (dt.date(2026, 2, 1), 0), (dt.date(2026, 3, 1), 1)]


def test_breakdowns_by_the_next_region_level_and_by_industry(traveller, make_business, make_user, staff):
    wuhan = make_business("武汉面馆", region="420102", industry="catering")
    yichang = make_business("宜昌面馆", region="420502", industry="catering")
    xiantao = make_business("仙桃商场", region="429004", industry="retail")  # a county-level city under Hubei
    for biz in (wuhan, wuhan, yichang, xiantao):
        file(make_user("consumer"), biz)
    period = {"date_from": TODAY, "date_to": TODAY}
    hubei = open_data.by_region(region=Region.objects.get(code="420000"), **period)
    assert [(r["code"], r["name"], r["total"]) for r in hubei] == [
        ("420100", "武汉市", 2), ("420500", "宜昌市", 1), ("429004", "仙桃市", 1)]
    country = open_data.by_region(**period)
    assert [(r["code"], r["total"]) for r in country] == [("420000", 4)]
    assert open_data.by_region(region=Region.objects.get(code="420102"), **period) == []
    industries = open_data.by_industry(**period)
    assert [(r["code"], r["total"], r["settlement_rate"]) for r in industries] == [
        ("catering", 3, 0.0), ("retail", 1, 0.0)]


def test_a_refused_download_reads_in_the_requested_language(client, db, traveller):
    r = client.get("/open-data/complaints.csv", {"from": "2025-03-14", "to": "2026-03-15"})
    assert r.status_code == 422 and "一次最多366天，请分段下载" in r.content.decode()
    r = client.get("/open-data/complaints.csv", {"from": "2025-03-14", "to": "2026-03-15"},
                   headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "At most 366 days at a time: download the rest" in r.content.decode()
