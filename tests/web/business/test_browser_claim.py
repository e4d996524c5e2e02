"""A merchant brought by a partner's import claims its account from the SMS link, on a phone, in a
real browser: confirms the registered phone by code, gives the credit code, sets a password, and
lands on the order that waited for it. ``HEJIE_SCREENSHOTS=<folder>`` saves each step."""

from __future__ import annotations

import re

from tests.conftest import last_code
from tests.web.conftest import PHONE_VIEWPORT, browser_marks

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
             "商家还没有可登录的账号，已邀请认领", "claim-0-council")):
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


def test_a_consumer_names_an_unlisted_shop_by_its_mobile_and_the_shop_claims_it_on_a_phone(
        reference_data, live_server, phone_page, sms, shoot, settings):
    from hejie.businesses.models import Business
    from hejie.complaints.models import Complaint
    from tests.conftest import make_credit_code
    from tests.web.consumer.test_browser_filing import _sign_in

    settings.HEJIE_PUBLIC_URL = live_server.url
    page = phone_page()
    _sign_in(page, live_server.url, sms)
    page.get_by_text("找不到这家商户？").click()
    page.get_by_label("商户名称", exact=True).fill("巷口烧烤")
    place = page.get_by_role("group", name="商户所在的地方")
    place.get_by_label("省份").select_option("420000")
    place.get_by_label("城市").select_option("420100")
    place.get_by_label("区县").select_option("420106")
    page.get_by_label("商户的手机号（可选）").fill("0278888")
    page.get_by_role("button", name="下一步", exact=True).click()
    page.locator("#business_phone-error").wait_for()  # a landline: said beside it, the name and place kept
    assert page.get_by_label("商户名称", exact=True).input_value() == "巷口烧烤" and _fits(page)
    shoot(page, "named-1-mistake")
    page.get_by_label("商户的手机号（可选）").fill("139 7777 6666")
    page.get_by_role("button", name="下一步", exact=True).click()
    page.wait_for_url("**/file/problem/")
    page.get_by_text("质量", exact=True).click()
    page.get_by_label("发生了什么").fill("烤串没熟，吃完肚子疼，老板不认账。")
    page.get_by_role("button", name="保存，下一步").click()
    page.get_by_text("道歉", exact=True).click()
    page.get_by_role("button", name="保存，下一步").click()
    page.get_by_role("button", name="下一步：检查并提交").click()
    page.wait_for_url("**/file/review/")
    assert page.get_by_text("提交后我们会短信邀请它认领账号").is_visible() and _fits(page)
    shoot(page, "named-2-review")
    page.get_by_role("button", name="确认提交投诉").click()
    page.wait_for_url("**/file/done/*/")
    page.get_by_text("还不在平台上。我们已经按您提供的联系方式邀请它认领账号").wait_for()
    shoot(page, "named-3-done")
    order = Complaint.objects.get()
    assert order.business.status == "invited" and order.respond_by is None

    invite = next(m for m in sms if m.kind == "claim" and m.to == "13977776666")
    link = re.search(r"https?://\S+/claim/[^/\s]+/", invite.body).group(0)
    shop = phone_page()
    shop.goto(link)
    shop.get_by_text("由消费者投诉时提名").wait_for()
    assert shop.get_by_label("商户名称（营业执照上的名称）").input_value() == "巷口烧烤" and _fits(shop)
    shoot(shop, "named-4-claim")
    shop.get_by_role("button", name="获取验证码").click()
    shop.get_by_text("验证码已发送到 139****6666").wait_for()
    shop.get_by_label("短信验证码").fill(last_code(sms))
    shop.get_by_label("商户名称（营业执照上的名称）").fill("武汉巷口烧烤店")
    shop.get_by_label("统一社会信用代码").fill(make_credit_code(region="420106"))
    shop.get_by_label("行业").select_option("catering")
    shop.get_by_label("用户名").fill("bbq_boss")
    shop.get_by_label("密码").fill("a-long-Passw0rd!")
    shop.get_by_role("button", name="认领并查看投诉").click()
    shop.wait_for_url("**/complaints/")
    shop.get_by_text("认领成功。1 件投诉已送达").wait_for()
    assert order.number in shop.content() and _fits(shop)
    shoot(shop, "named-5-orders")
    assert Business.objects.get(pk=order.business_id).status == "active"
    assert Complaint.objects.get(pk=order.pk).state == "delivered"
