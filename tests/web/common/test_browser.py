"""A real browser (Debian's chromium through Playwright) at a phone's size,
against a live server this test starts.

``HEJIE_SCREENSHOTS=docs/screenshots`` also saves a screenshot of each page
there (``make screenshots``)."""

from __future__ import annotations

from tests.conftest import last_code
from tests.web.conftest import PHONE, PHONE_VIEWPORT, browser_marks

pytestmark = browser_marks


def test_consumer_signs_in_by_code_and_sees_my_complaints(reference_data, live_server, browser, sms, shoot,
                                                         make_business, make_user):
    from hejie.accounts.services import consumer_get_or_create
    from hejie.complaints import services

    shop = make_business("武汉热干面馆")
    staff = make_user("business", business=shop)
    staff.set_password("hejie-test-2026")
    staff.save()
    consumer = consumer_get_or_create(phone=PHONE)
    order = services.complaint_submit(
        consumer=consumer, business_id=shop.pk, problem_type="quality", description="买的热干面里有异物，要求退款。",
        claim_type="refund", claim_amount="38.00", purchase_amount="38.00", order_ref="WX-1")
    services.message_post(actor=staff, complaint=order, body="您好，非常抱歉，我们正在核实。")
    services.proposal_make(actor=staff, complaint=order, terms="全额退款 38 元，并赠送一份热干面。", amount="38.00")

    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.goto(live_server.url + "/")
    shoot(page, "01-home")
    page.get_by_role("link", name="用手机号登录").click()
    page.get_by_label("手机号").fill("12345")
    page.get_by_role("button", name="获取验证码").click()
    assert page.locator("#phone-error").inner_text().startswith("请输入中国大陆11位手机号")
    shoot(page, "02-signin-phone-error")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/signin/code/")
    page.get_by_label("验证码").fill("000000" if last_code(sms) != "000000" else "111111")
    page.get_by_role("button", name="登录", exact=True).click()
    assert "验证码错误" in page.locator("#code-error").inner_text()
    shoot(page, "03-signin-code-error")
    page.get_by_label("验证码").fill(last_code(sms))
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/complaints/")
    assert page.get_by_role("heading", level=1).inner_text() == "我的投诉"
    assert page.get_by_text("武汉热干面馆").is_visible()
    shoot(page, "04-my-complaints")
    page.get_by_role("link", name="武汉热干面馆").click()
    assert page.get_by_text("全额退款 38 元").is_visible()
    shoot(page, "05-order")
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Settlement offers").is_visible()
    shoot(page, "06-order-en")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My complaints").click()
    shoot(page, "07-my-complaints-en")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="中文").click()

    page.goto(live_server.url + "/signin/staff/")
    shoot(page, "08-signin-staff")
    page.get_by_label("用户名").fill(staff.username)
    page.get_by_label("密码").fill("hejie-test-2026")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/complaints/")
    assert page.get_by_role("heading", level=1).inner_text() == "工单"
    shoot(page, "09-business-orders")
    context.close()


# the browser's text size at 150 %, as `html { font-size: 150% !important }` would set it; through the
# CSSOM, which the pages' CSP allows (a <style> element added by the test would be refused)
ENLARGED = "document.documentElement.style.setProperty('font-size', '150%', 'important')"


def test_pages_fit_a_narrow_phone_with_the_text_enlarged(reference_data, live_server, browser, make_business,
                                                         make_user):
    """At 360 px with the text at 150 %, nothing makes the page scroll sideways."""
    from hejie.accounts.services import consumer_get_or_create
    from hejie.complaints import services

    shop = make_business("武汉热干面馆")
    staff = make_user("business", business=shop)
    staff.set_password("hejie-test-2026")
    staff.save()
    order = services.complaint_submit(
        consumer=consumer_get_or_create(phone=PHONE), business_id=shop.pk, problem_type="quality",
        description="买的热干面里有异物，要求退款。", claim_type="compensation", claim_amount="3888.00",
        purchase_amount="38.00", order_ref="WX-20260315-7788")
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/signin/staff/")
    page.get_by_label("用户名").fill(staff.username)
    page.get_by_label("密码").fill("hejie-test-2026")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/complaints/")
    for path in ("/", "/complaints/", f"/complaints/{order.pk}/", "/record/", "/notices/", "/businesses/",
                 f"/businesses/{shop.pk}/", "/blacklist/", "/open-data/", "/join/"):
        page.goto(live_server.url + path)
        page.evaluate(ENLARGED)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide at 360 px with the text enlarged"
    context.close()
