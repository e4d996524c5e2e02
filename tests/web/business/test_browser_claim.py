"""A merchant brought by a partner's import claims its account from the SMS link, on a phone, in a
real browser: confirms the registered phone by code, gives the credit code, sets a password, and
lands on the order that waited for it. ``HEJIE_SCREENSHOTS=<folder>`` saves each step."""

from __future__ import annotations

import re

from tests.web.conftest import PHONE_VIEWPORT, browser_marks, last_code

pytestmark = browser_marks

MOBILE = "13912345678"


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]


def test_an_imported_merchant_claims_its_account_on_a_phone(reference_data, live_server, phone_page, sms, shoot,
                                                            make_business, make_user, settings):
    from hejie.complaints.models import Complaint
    from hejie.complaints.services import complaint_submit

    settings.HEJIE_PUBLIC_URL = live_server.url
    shop = make_business("江城小龙虾", contact_phone=MOBILE)
    consumer = make_user("consumer", phone="13800138000")
    order = complaint_submit(consumer=consumer, business_id=shop.pk, problem_type="quality",
                             description="小龙虾不新鲜，吃完肚子疼，要求退款。", claim_type="refund",
                             claim_amount="128.00", purchase_amount="128.00")
    assert order.state == "pending_review"
    invite = next(m for m in sms if m.kind == "claim" and m.to == MOBILE)
    link = re.search(r"https?://\S+/claim/[^/\s]+/", invite.body).group(0)

    # before the claim: the partner sees the merchant waiting, the council sees why and for how long
    from hejie.partners.models import Partner

    partner = Partner.objects.create(name="美食外卖平台", kind="platform", region_id="420000", status="active",
                                     onboard_status="active")
    type(shop).objects.filter(pk=shop.pk).update(partner=partner)
    for who, path, expect, name in (
            (make_user("partner", partner=partner, username="platform_ops"), "/partners/businesses/?waiting=1",
             "1 件投诉等待商户认领账号", "claim-0-partner"),
            (make_user("council", region="420100", username="wuhan_ops"), "/council/orders/?queue=review",
             "商家已登记但还没有账号，已邀请认领", "claim-0-council")):
        who.set_password("a-long-Passw0rd!")
        who.save()
        staff_page = phone_page()
        staff_page.goto(live_server.url + "/signin/staff/")
        staff_page.get_by_label("用户名").fill(who.username)
        staff_page.get_by_label("密码").fill("a-long-Passw0rd!")
        staff_page.get_by_role("button", name="登录").click()
        staff_page.wait_for_load_state()
        staff_page.goto(live_server.url + path)
        staff_page.get_by_text(expect).first.wait_for()
        assert _fits(staff_page), name
        shoot(staff_page, name)

    page = phone_page()
    page.goto(link)
    page.get_by_role("heading", name="认领商户账号").wait_for()
    assert "139****5678" in page.content() and _fits(page)
    shoot(page, "claim-1-link")
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("验证码已发送到 139****5678").wait_for()
    page.get_by_label("短信验证码").fill(last_code(sms))
    page.get_by_label("统一社会信用代码").fill("91420102MA4K00000X")
    page.get_by_label("用户名").fill("lobster")
    page.get_by_label("密码").fill("a-long-Passw0rd!")
    page.get_by_role("button", name="认领并查看投诉").click()
    page.locator("#credit_code-error").wait_for()  # a wrong credit code: said beside it, the rest kept
    assert page.get_by_label("用户名").input_value() == "lobster" and _fits(page)
    shoot(page, "claim-2-mistake")
    page.get_by_label("统一社会信用代码").fill(shop.credit_code)
    page.get_by_label("密码").fill("a-long-Passw0rd!")
    page.get_by_role("button", name="认领并查看投诉").click()
    page.wait_for_url("**/complaints/")
    page.get_by_text("认领成功。1 件投诉已送达").wait_for()
    assert order.number in page.content() and _fits(page)
    shoot(page, "claim-3-orders")
    assert Complaint.objects.get(pk=order.pk).state == "delivered"
