"""The 3·15 report page in a real browser at a phone's size: the figures on screen, nothing wider
than the screen, the downloads answering (and no Content-Security-Policy refusal, by the fixture)."""

from __future__ import annotations

import datetime as dt

from hejie.core import clock
from tests.oversight.test_dashboard import order
from tests.web.conftest import PHONE_VIEWPORT, browser_marks

pytestmark = browser_marks

PASSWORD = "hejie-test-2026"


def test_the_report_at_a_phones_size(reference_data, live_server, browser, shoot, make_business, make_user):
    shop = make_business("江岸热干面", region="420102")
    member = make_user("council", region="420100", username="wuhan_report")
    member.set_password(PASSWORD)
    member.save()
    consumer = make_user("consumer")
    now = clock.now()
    for i, hours in enumerate((2, 5, 20)):
        order(shop, consumer, created=now - dt.timedelta(days=3 + i), settled_after=dt.timedelta(hours=hours))
    order(shop, consumer, created=now - dt.timedelta(days=20), failed=True)

    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.goto(live_server.url + "/signin/staff/")
    page.get_by_label("用户名").fill("wuhan_report")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/council/")
    page.get_by_role("link", name="3·15 年度报告").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="总体情况").is_visible()
    assert page.get_by_role("row", name="接收投诉 4 0 —").is_visible()  # this year, last year, no ratio
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    shoot(page, "council-phone-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_label("年度").fill("1999")
    page.get_by_role("button", name="生成报告").click()
    page.wait_for_load_state()
    assert "年份应在 2000 至" in page.locator("#year-error").inner_text()
    context.close()
