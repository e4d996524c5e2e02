"""The open figures page and the open-data download (the CSV's own rules are in
tests/oversight/test_open_data.py)."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from hejie.complaints import services as svc
from hejie.oversight import open_data

NAME = "赵铁柱"
PHONE_IN_TEXT = "13711112222"
ORDER_REF = "JD-8877665544"


def html(response) -> str:
    return response.content.decode()


def file(consumer, biz, *, ref=ORDER_REF, **extra):
    data = dict(problem_type="quality", claim_type="refund", claim_amount="38.00",
                description=f"{NAME}投诉：手机{PHONE_IN_TEXT}，热干面里有异物。")
    data.update(extra)
    return svc.complaint_submit(consumer=consumer, business_id=biz.pk, order_ref=ref, **data)


def test_the_figures_page_shows_totals_trends_and_breakdowns(zh, traveller, business, staff, make_user,
                                                            make_business):
    order = file(make_user("consumer"), business)
    p = svc.proposal_make(actor=staff, complaint=order, terms="退款", amount="38")
    svc.proposal_accept(actor=order.consumer, complaint=order, proposal_id=p.pk)
    file(make_user("consumer"), make_business("宜昌商场", region="420502", industry="retail"))
    r = zh.get("/open-data/")
    assert r.status_code == 200
    page = html(r)
    # the last 30 days by default, the whole country
    assert "2026-02-14 至 2026-03-15" in page and "全国" in page
    assert "<dt>投诉</dt><dd>2</dd>" in page and "<dt>和解率</dt><dd>50%</dd>" in page
    assert "<dt>24 小时内和解</dt><dd>100%</dd>" in page
    # the trend as a chart, with its numbers in a table: the 15 days of March so far
    assert "每天的投诉" in page and "<svg" in page and page.count('<th scope="row">03-') == 15
    assert "湖北省" in page and "餐饮" in page and "零售" in page
    # the download link carries the same filters, and the fields are documented
    assert 'href="/open-data/complaints.csv?from=2026-02-14&amp;to=2026-03-15"' in page
    for name, _zh, _en in open_data.FIELDS:
        assert f"<code>{name}</code>" in page
    assert "一切自由文本" in page
    assert NAME not in page and PHONE_IN_TEXT not in page and ORDER_REF not in page


def test_the_figures_follow_region_industry_and_period(zh, traveller, business, make_user, make_business):
    file(make_user("consumer"), business)
    file(make_user("consumer"), make_business("宜昌商场", region="420502", industry="retail"))
    page = html(zh.get("/open-data/", {"province": "420000", "city": "420100", "from": "2026-03-01",
                                       "to": "2026-03-15", "industry": "catering"}))
    assert "湖北省武汉市" in page and "<dt>投诉</dt><dd>1</dd>" in page and "江岸区" in page
    page = html(zh.get("/open-data/", {"region": "420500"}))
    assert "<dt>投诉</dt><dd>1</dd>" in page and "湖北省宜昌市" in page
    # a year or more is counted by the week or the month; the download is offered up to 366 days
    page = html(zh.get("/open-data/", {"from": "2025-01-01", "to": "2026-03-15"}))
    assert "每月的投诉" in page and "一次最多下载 366 天" in page and "/open-data/complaints.csv?" not in page
    page = html(zh.get("/open-data/", {"from": "2026-01-01"}))
    assert "每周的投诉" in page


def test_a_bad_period_on_the_figures_page_is_a_422_beside_the_field(zh, db, traveller):
    r = zh.get("/open-data/", {"from": "2026-03-10", "to": "2026-03-01"})
    assert r.status_code == 422
    page = html(r)
    assert 'id="to-error"' in page and "结束日期不能早于开始日期" in page and 'aria-invalid="true"' in page
    assert 'value="2026-03-10"' in page  # what was typed is kept
    r = zh.get("/open-data/", {"from": "2026-13-01"})
    assert r.status_code == 422 and 'id="from-error"' in html(r)
    r = zh.get("/open-data/", {"industry": "nosuch"})
    assert r.status_code == 422 and 'id="industry-error"' in html(r)


def test_the_download_is_a_streamed_csv_with_the_documented_header(zh, traveller, business, make_user):
    orders = [file(make_user("consumer"), business, ref=f"{ORDER_REF}-{i}") for i in range(3)]
    r = zh.get("/open-data/complaints.csv", {"from": "2026-03-15", "to": "2026-03-15"})
    assert r.status_code == 200
    assert isinstance(r, StreamingHttpResponse)
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"] == 'attachment; filename="hejie-complaints_all_all_2026-03-15_2026-03-15.csv"'
    text = b"".join(r.streaming_content).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "\ufeff" + ",".join(open_data.COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == [o.number for o in orders]
    for secret in (NAME, PHONE_IN_TEXT, ORDER_REF, "热干面里有异物"):
        assert secret not in text
    for o in orders:
        assert o.consumer.phone not in text


def test_the_download_follows_region_and_industry(zh, traveller, business, make_user, make_business):
    file(make_user("consumer"), business)
    other = file(make_user("consumer"), make_business("宜昌商场", region="420502", industry="retail"))
    r = zh.get("/open-data/complaints.csv", {"region": "420500", "industry": "retail"})
    assert r["Content-Disposition"].endswith('hejie-complaints_420500_retail_2026-02-14_2026-03-15.csv"')
    lines = b"".join(r.streaming_content).decode().splitlines()
    assert len(lines) == 2 and lines[1].startswith(other.number + ",")


def test_a_bad_download_period_is_a_422_page_with_the_reason(zh, db, traveller):
    for params, words in (({"from": "2025-03-14", "to": "2026-03-15"}, "一次最多366天"),
                          ({"from": "2026-03-16"}, "日期不能晚于今天"),
                          ({"to": "yesterday"}, "日期格式应为 YYYY-MM-DD"),
                          ({"industry": "nosuch"}, "未知的行业")):
        r = zh.get("/open-data/complaints.csv", params)
        assert r.status_code == 422, params
        assert r["Content-Type"].startswith("text/html")
        assert "无法下载" in html(r) and words in html(r), params
        assert 'href="/open-data/?' in html(r)
    zh.cookies["django_language"] = "en"
    r = zh.get("/open-data/complaints.csv", {"from": "2025-03-14", "to": "2026-03-15"})
    assert r.status_code == 422 and "at most 366 days" in html(r) and "Cannot download" in html(r)


def test_the_page_says_what_the_codes_mean(zh, db, traveller):
    page = html(zh.get("/open-data/"))
    assert "<dt><code>false_advertising</code></dt><dd>虚假宣传</dd>" in page
    assert "<dt><code>mediation_failed</code></dt><dd>调解失败</dd>" in page
    assert "<dt><code>catering</code></dt><dd>餐饮</dd>" in page
    zh.cookies["django_language"] = "en"
    page = html(zh.get("/open-data/"))
    assert "<dt><code>false_advertising</code></dt><dd>False advertising</dd>" in page
    assert "<dt><code>catering</code></dt><dd>Catering</dd>" in page
    assert "What is never included" in page and "all free text" in page
