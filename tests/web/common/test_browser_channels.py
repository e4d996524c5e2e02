"""A business staff member sets up their channels on a phone, in a real browser: confirms a mobile
by SMS code, chooses which messages go by which channel, and sees a new order's SMS listed among
the messages sent. ``HEJIE_SCREENSHOTS=<folder>`` saves each step."""

from __future__ import annotations

from tests.conftest import last_code
from tests.web.conftest import PHONE_VIEWPORT, browser_marks

pytestmark = browser_marks

MOBILE = "13971000099"
PASSWORD = "a-long-Passw0rd!"


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


def test_staff_confirm_a_mobile_and_choose_their_channels_on_a_phone(reference_data, live_server, phone_page, sms,
                                                                     shoot, make_business, make_user):
    from hejie.complaints.services import complaint_submit
    from hejie.notifications.models import ChannelSettings, Delivery

    shop = make_business("武汉热干面馆")
    staff = make_user("business", business=shop, username="shop_admin", is_business_admin=True)
    staff.set_password(PASSWORD)
    staff.save()

    page = phone_page()
    page.goto(live_server.url + "/signin/staff/")
    page.get_by_label("用户名").fill("shop_admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/account/channels/")
    page.get_by_role("heading", name="通知设置", exact=True).wait_for()
    assert "24" in page.content() and _fits(page)  # the page says the clock is not paused by quiet hours
    shoot(page, "channels-1-start")

    page.get_by_role("textbox", name="手机号").fill(MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").wait_for()
    page.get_by_label("短信验证码").fill(last_code(sms))
    page.get_by_role("button", name="确认手机号").click()
    page.wait_for_load_state()
    staff.refresh_from_db()
    assert staff.sms_number == MOBILE

    # new orders: SMS only (no email); urges keep their defaults
    new_order = page.get_by_role("checkbox", name="新投诉：邮件")
    if new_order.is_checked():
        new_order.uncheck()
    page.get_by_role("button", name="保存通知设置").click()
    page.wait_for_load_state()
    choices = ChannelSettings.objects.get(user=staff).choices
    assert "email" not in choices["new_order"] and "sms" in choices["new_order"]

    consumer = make_user("consumer", phone="13800138000")
    complaint_submit(consumer=consumer, business_id=shop.pk, problem_type="quality",
                     description="买的热干面里有异物，要求退款。", claim_type="refund", claim_amount="38")
    assert Delivery.objects.filter(user=staff, kind="new_order", channel="sms", to=MOBILE).count() == 1
    assert any(m.to == MOBILE and m.kind == "new_order" for m in sms)
    page.reload()
    page.get_by_role("heading", name="最近发出的消息").wait_for()
    sent = page.locator("section[aria-labelledby=sent-h]").inner_text()
    assert "新投诉" in sent and _fits(page)
    shoot(page, "channels-2-saved")
