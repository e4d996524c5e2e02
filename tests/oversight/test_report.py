"""The 3·15 report (hejie.oversight.report) against a small data set computed by hand, made through
the services (so the daily figures are the ones the events keep), and its files read back.

    Wuhan (council 420100), filed at T0 (2026-03-15 10:00 Shanghai):
      a1 武汉热干面馆 (江岸区, catering, quality): settled, offer 100.00, the consumer confirms fulfilment
      a2 same: settled with 50.00, the consumer says not fulfilled, mediated by the council for 80.00
      a3 same: refused by the business (failed)
      a4 same: delivered, open
      c1 武昌百货 (武昌区, retail, price): settled with 30.00
    Yichang (outside): y1 settled with 999.00, never counted.
    2025-03-10: p1 against 武汉热干面馆 (the previous period: 1 received, open).

    2026: received 5, accepted 5, settled 3 (a1, a2, c1), mediated 1 (a2), failed 1, concluded 4,
    resolution (3 + 1 − 1) ÷ 5 = 0.6, recovered 100 + 80 + 30 = 210.00 (confirmed 100.00).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pypdf
import pytest

from hejie.businesses.industries import INDUSTRIES
from hejie.complaints import services as svc
from hejie.complaints.models import Complaint
from hejie.core.errors import InvalidInput
from hejie.core.spreadsheets import csv_lines
from hejie.oversight import categories as cca
from hejie.oversight import orders_12315, report
from hejie.oversight.report_files import report_pdf, report_xlsx
from hejie.ratings.models import ListDecision, RedListEntry
from hejie.regions.models import Region
from tests.conftest import T0

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def file(make_user, biz, ref, problem="quality", phone=None):
    return svc.complaint_submit(
        consumer=make_user("consumer", phone=phone), business_id=biz.pk, problem_type=problem,
        description="商品质量问题，要求退款。", claim_type="refund", claim_amount="100.00", order_ref=ref,
    )


def settle(traveller, complaint, staff, after, amount):
    traveller.move_to(complaint.delivered_at + after - dt.timedelta(minutes=30))
    p = svc.proposal_make(actor=staff, complaint=complaint, terms="退款", amount=amount)
    traveller.move_to(complaint.delivered_at + after)
    svc.proposal_accept(actor=complaint.consumer, complaint=complaint, proposal_id=p.pk)


@pytest.fixture
def world(traveller, make_business, make_user, council):
    traveller.move_to(dt.datetime(2025, 3, 10, 2, tzinfo=dt.UTC))
    a = make_business("武汉热干面馆", region="420102")
    c = make_business("=HYPERLINK(\"http://x\")百货", region="420106", industry="retail")
    y = make_business("宜昌三峡面馆", region="420502")
    sa, sc, sy = (make_user("business", business=x) for x in (a, c, y))
    file(make_user, a, "p1")
    traveller.move_to(T0)
    a1, a2, a3, a4 = (file(make_user, a, f"a{i}") for i in range(1, 5))
    a1.consumer.display_name = "张三丰"
    a1.consumer.save(update_fields=["display_name"])
    c1 = file(make_user, c, "c1", problem="price")
    y1 = file(make_user, y, "y1")
    svc.complaint_refuse(actor=sa, complaint=a3, reason="不同意退款")
    settle(traveller, a1, sa, 2 * H, "100.00")
    settle(traveller, a2, sa, 4 * H, "50.00")
    settle(traveller, c1, sc, 10 * H, "30.00")
    settle(traveller, y1, sy, 1 * H, "999.00")
    traveller.move_to(T0 + D)
    svc.fulfilment_confirm(actor=a1.consumer, complaint=a1, fulfilled=True)
    svc.fulfilment_confirm(actor=a2.consumer, complaint=a2, fulfilled=False)
    svc.mediation_request(actor=a2.consumer, complaint=a2, reason="未履行")
    svc.mediation_record_outcome(actor=council, complaint=a2, outcome="settled", terms="退款 80 元", amount="80.00")
    red = RedListEntry.objects.create(business=a, status=RedListEntry.Status.CONFIRMED, reason="诚信经营")
    ListDecision.objects.create(business=a, redlist_entry=red, action="confirm", reason="诚信经营 (honest trading)",
                                actor=council)
    traveller.move_to(T0 + 5 * D)
    return {"a": a, "c": c, "y": y, "a1": a1, "a2": a2, "council": council}


def _wuhan():
    return Region.objects.get(code="420100")


def test_the_year_in_figures(world, django_assert_max_num_queries):
    period = report.report_period(year="2026")
    assert (period.date_from, period.date_to) == (dt.date(2026, 1, 1), dt.date(2026, 3, 20))  # runs to today
    with django_assert_max_num_queries(25):
        r = report.annual_report(region=_wuhan(), period=period)
    t = r["totals"]
    assert {k: t[k] for k in ("received", "accepted", "concluded", "settled", "mediated", "failed", "rejected")} == {
        "received": 5, "accepted": 5, "concluded": 4, "settled": 3, "mediated": 1, "failed": 1, "rejected": 0}
    assert t["settlement_rate"] == 0.6 and t["resolution_rate"] == 0.6
    assert str(t["recovered"]) == "210.00" and str(t["recovered_confirmed"]) == "100.00"
    assert t["recovered_orders"] == 3
    assert t["median_hours"] == pytest.approx(4.0) and t["avg_hours"] == pytest.approx((2 + 4 + 10) / 3, abs=0.01)
    assert r["previous"]["received"] == 1 and r["previous"]["settled"] == 0
    assert r["change"]["received"] == 4.0 and r["change"]["settled"] is None  # from 0: no ratio
    assert [m["received"] for m in r["months"]] == [0, 0, 5]
    assert r["quarters"] == [{"label": "2026 Q1", "received": 5, "settled": 3, "failed": 1}]
    classes = {c["code"]: c["received"] for c in r["categories"]["classes"]}
    assert classes["s_living"] == 4 and classes["g_other"] == 1 and sum(classes.values()) == 5
    assert {k["kind"]: k["received"] for k in r["categories"]["kinds"]} == {"goods": 1, "services": 4}
    natures = {c["code"]: c["received"] for c in r["categories"]["natures"]}
    assert natures["quality"] == 4 and natures["price"] == 1 and natures["counterfeit"] == 0
    assert {row["region"].code: row["total"] for row in r["regions"] if row["total"]} == {"420102": 4, "420106": 1}
    assert [b["name"] for b in r["top_businesses"]] == ["武汉热干面馆", world["c"].name]
    assert [(b["name"], b["failed"]) for b in r["top_failing"]] == [("武汉热干面馆", 1)]
    assert [(s["list"], s["action"], s["count"]) for s in r["lists"]["summary"]] == [("红榜", "confirm", 1)]


def test_a_province_counts_yichang_too_and_a_range_compares_with_the_same_dates(world):
    r = report.annual_report(region=Region.objects.get(code="420000"),
                             period=report.report_period(date_from=dt.date(2026, 3, 15), date_to=dt.date(2026, 3, 15)))
    assert r["totals"]["received"] == 6 and str(r["totals"]["recovered"]) == "1209.00"
    assert (r["previous_period"].date_from, r["previous"]["received"]) == (dt.date(2025, 3, 15), 0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"year": "abc"}, "year"), ({"year": "1999"}, "year"), ({"year": "2027"}, "year"),
    ({"date_from": dt.date(2026, 1, 1)}, "to"), ({"date_to": dt.date(2026, 1, 1)}, "from"),
    ({"date_from": dt.date(2022, 1, 1), "date_to": dt.date(2026, 1, 1)}, "to"),
    ({"date_from": dt.date(2026, 2, 1), "date_to": dt.date(2026, 1, 1)}, "to"),
    ({"year": "2026", "date_from": dt.date(2026, 1, 1), "date_to": dt.date(2026, 2, 1)}, "year"),
])
def test_a_bad_year_or_range_is_refused_on_its_field(kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        report.report_period(today=dt.date(2026, 3, 20), **kwargs)
    assert field in caught.value.fields


def test_a_leap_day_compares_with_the_28th():
    period = report.report_period(date_from=dt.date(2024, 2, 29), date_to=dt.date(2024, 2, 29),
                                  today=dt.date(2026, 3, 20))
    assert period.previous.date_from == dt.date(2023, 2, 28)


def test_every_industry_and_problem_type_is_mapped():
    assert {code for code, _, _ in INDUSTRIES} <= cca.INDUSTRY_CLASS.keys()
    assert set(Complaint.ProblemType.values) <= cca.PROBLEM_NATURE.keys()
    codes = {c.code for c in cca.CLASSES}
    assert set(cca.INDUSTRY_CLASS.values()) <= codes and cca.NO_INDUSTRY_CLASS in codes
    assert set(cca.PROBLEM_NATURE.values()) <= {c.code for c in cca.NATURES}
    assert cca.industry_class("").code == "s_other" and cca.industry_class("unknown").code == "g_other"


def test_the_workbook_reads_back_with_numbers_dates_and_no_formula(world):
    r = report.annual_report(region=_wuhan(), period=report.report_period(year=2026))
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(r)))
    totals = book["总体情况"]
    assert totals.freeze_panes == "A4"  # two lines of notes, the header, then the rows
    rows = {row[0]: row[1:] for row in totals.iter_rows(min_row=4, values_only=True)}
    assert rows["接收投诉"] == (5, 1, 4.0)
    assert rows["挽回经济损失（元）"][0] == pytest.approx(210.0)
    assert rows["和解率"][0] == 0.6
    assert totals.column_dimensions["A"].width == 34
    months = book["按月"]
    assert months["A2"].value.date() == dt.date(2026, 1, 1) and months["A2"].number_format == "yyyy-mm"
    names = [c.value for c in book["投诉最多的商家"]["B"]]
    assert names[2].startswith("'=HYPERLINK")  # a typed name is text, never a formula
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    day, *rest = [c.value for c in book["黑红榜变化"][3]][:4]
    assert (day.date(), *rest) == (dt.date(2026, 3, 16), "红榜", "确认", "武汉热干面馆")


def test_the_pdf_reads_back_with_the_figures(world):
    r = report.annual_report(region=_wuhan(), period=report.report_period(year=2026))
    body = report_pdf(r)
    assert body.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "湖北省武汉市消费投诉情况报告" in text
    assert "210.00" in text and "100.00" in text  # recovered, confirmed
    assert "60.0%" in text and "+400.0%" in text  # settlement rate; received year on year
    assert "生活、社会服务类" in text and "武汉热干面馆" in text


def test_the_pdf_in_english(world, settings):
    from django.utils import translation

    r = report.annual_report(region=_wuhan(), period=report.report_period(year=2026))
    with translation.override("en"):
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report_pdf(r))).pages)
    assert "Complaints received" in text and "210.00" in text


def _csv(user):
    text = "".join(csv_lines(orders_12315.rows_12315(user, region=_wuhan(), period=report.report_period(year=2026))))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_12315_export_masks_unless_the_right_is_held(world):
    council = world["council"]
    rows = _csv(council)
    assert rows[0] == orders_12315.header()
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert len(by_number) == 5  # Wuhan only; 2025's order is outside the period
    a1 = by_number[world["a1"].number]
    assert a1["投诉人姓名"] != "张三丰" and "*" in a1["投诉人电话"]
    assert (a1["处理结果"], a1["挽回经济损失"], a1["商品服务大类"], a1["投诉性质"]) == (
        "和解成功", "100.00", "服务类", "质量")
    a2 = by_number[world["a2"].number]
    assert (a2["处理结果"], a2["挽回经济损失"], a2["办结日期"]) == ("调解成功", "80.00", "2026-03-16")
    c1 = next(r for r in by_number.values() if r["被投诉方名称"].startswith("'="))  # neutralised
    assert c1["统一社会信用代码"] == world["c"].credit_code and c1["商品服务类别"] == "其他商品"
    council.sees_personal_data = True
    council.save(update_fields=["sees_personal_data"])
    a1 = {row[0]: row for row in _csv(council)[1:]}[world["a1"].number]
    assert a1[4] == "张三丰" and a1[5] == world["a1"].consumer.phone


def test_the_12315_columns_are_documented():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "12315-export.md").read_text()
    for name, _what in orders_12315.COLUMNS:
        assert f"`{name}`" in doc, name


# --------------------------------------------------------------------------- the API and the page


@pytest.fixture
def api(client):
    from tests.api.conftest import Api

    return Api(client)


def test_the_api_gives_the_council_its_report(api, world):
    r = api.get("/reports/annual", as_=world["council"], year="2026")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["region"] == {"code": "420100", "name": "湖北省武汉市"}
    assert body["totals"]["received"] == 5 and body["totals"]["recovered"] == "210.00"
    assert body["period"] == {"from": "2026-01-01", "to": "2026-03-20", "year": 2026}
    x = api.get("/reports/annual.xlsx", as_=world["council"], year="2026")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxml")
    assert openpyxl.load_workbook(io.BytesIO(x.content))["总体情况"]["B4"].value == 5
    p = api.get("/reports/annual.pdf", as_=world["council"], year="2026")
    assert p.status_code == 200 and p.content.startswith(b"%PDF")
    c = api.get("/reports/orders-12315.csv", as_=world["council"], year="2026")
    assert c.status_code == 200 and len(b"".join(c.streaming_content).decode().splitlines()) == 6


@pytest.mark.parametrize("path", ["/reports/annual", "/reports/annual.xlsx", "/reports/annual.pdf",
                                  "/reports/orders-12315.csv"])
def test_the_api_refuses_everyone_else(api, world, make_user, path):
    assert api.get(path).status_code == 401
    staff = make_user("business", business=world["a"])
    assert api.get(path, as_=staff).status_code == 403
    assert api.get(path, as_=world["a1"].consumer).status_code == 403
    yichang = make_user("council", region="420500")
    assert api.get(path, as_=yichang, region="420100").status_code == 403  # another region
    r = api.get(path, as_=world["council"], region="420500")
    assert r.status_code == 403 and "不在您的辖区" in r.json()["error"]["message"]


@pytest.mark.parametrize(("params", "field"), [({"year": "20x6"}, "year"), ({"year": "1999"}, "year"),
                                               ({"from": "2026-01-01"}, "to"),
                                               ({"from": "2020-01-01", "to": "2026-01-01"}, "to")])
def test_the_api_says_what_is_wrong_with_a_period(api, world, params, field):
    r = api.get("/reports/annual", as_=world["council"], **params)
    assert r.status_code == 422
    assert field in r.json()["error"]["fields"]


def test_the_council_page_shows_the_figures_and_links_the_files(client, world):
    client.force_login(world["council"])
    r = client.get("/council/report/", {"year": "2026"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "210.00" in html and "生活、社会服务类" in html and "+400.0%" in html
    assert "/council/report/report.xlsx?year=2026" in html and "/council/report/orders-12315.csv?year=2026" in html
    assert client.get("/council/report/report.pdf", {"year": "2026"}).content.startswith(b"%PDF")
    assert "/council/report/" in client.get("/council/").content.decode()  # the dashboard links it
    bad = client.get("/council/report/", {"year": "abc"})
    assert bad.status_code == 422 and "年份应为四位数字" in bad.content.decode()


def test_the_page_is_refused_from_every_other_side(client, world, make_user):
    r = client.get("/council/report/")
    assert r.status_code == 302 and "/signin" in r["Location"]
    client.force_login(make_user("business", business=world["a"]))
    assert client.get("/council/report/").status_code == 404
    assert client.get("/council/report/orders-12315.csv").status_code == 404
    client.force_login(world["a1"].consumer)
    assert client.get("/council/report/report.pdf").status_code == 404
    client.force_login(world["council"])
    assert client.get("/council/report/", {"region": "420500"}).status_code == 404
