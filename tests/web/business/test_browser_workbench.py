"""The workbench in a real browser at a phone's size (JavaScript on): a shop owner
applies to join with the cascading region picker and the credit code checked as it
is typed, waits for the council, is approved, reads the record and adds a staff
member, who then signs in with the password shown once.

``HEJIE_SCREENSHOTS=<folder>`` saves a screenshot of each page."""

from __future__ import annotations

from tests.conftest import last_code, make_credit_code
from tests.web.conftest import browser_marks

pytestmark = browser_marks


def test_shop_owner_joins_is_approved_and_adds_staff(reference_data, live_server, phone_page, shoot, make_user,
                                                     sms):
    from hejie.businesses.models import Business
    from hejie.businesses.services import business_approve

    council = make_user("council", region="420100")
    code = make_credit_code()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")

    page = phone_page()
    page.goto(live_server.url + "/join/")
    assert page.get_by_role("heading", level=1).inner_text() == "商家入驻申请"
    shoot(page, "join-empty")
    assert not page.get_by_role("button", name="选择", exact=True).is_visible()  # JS fills the picker itself

    page.get_by_label("商户名称").fill("老王热干面")
    page.get_by_label("统一社会信用代码").press_sequentially(wrong.lower(), delay=10)
    live = page.locator("#credit_code-live")
    live.filter(has_text="校验位不正确").wait_for()
    assert page.get_by_label("统一社会信用代码").get_attribute("aria-invalid") == "true"
    shoot(page, "join-code-checked-wrong")
    page.get_by_label("统一社会信用代码").fill("")
    page.get_by_label("统一社会信用代码").press_sequentially(code, delay=10)
    live.filter(has_text="代码格式和校验位正确").wait_for()

    page.get_by_label("行业", exact=True).select_option("catering")
    region = page.locator('fieldset[data-picker="region"]')
    region.locator("#region_l1").select_option("420000")
    region.locator("#region_l2 option[value='420100']").wait_for(state="attached")
    assert region.get_by_label("城市").is_visible()
    region.locator("#region_l2").select_option("420100")
    region.locator("#region_l3 option[value='420102']").wait_for(state="attached")
    region.get_by_label("区县").select_option("420102")
    assert region.locator(".picker-status").inner_text() == "已选：湖北省武汉市江岸区"
    page.get_by_label("详细地址").fill("中山大道1号")
    page.get_by_label("门店名称").fill("中山大道店")
    page.get_by_label("联系人姓名").fill("王师傅")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_role("button", name="发送验证码").click()  # the form comes back with everything kept
    page.get_by_text("验证码已发送至 139****5678").wait_for()
    assert page.get_by_label("商户名称").input_value() == "老王热干面"
    assert page.locator("#region_l3").input_value() == "420102"
    shoot(page, "join-code-sent")
    page.get_by_label("短信验证码").fill(last_code(sms))
    page.get_by_label("用户名").fill("laowang")
    page.get_by_label("密码", exact=True).fill("re-gan-mian-2026")
    page.get_by_label("我已阅读并接受平台规则").check()
    shoot(page, "join-filled")
    page.get_by_role("button", name="提交入驻申请").click()
    page.wait_for_url("**/join/status/")
    assert page.get_by_text("等待审核").is_visible()
    shoot(page, "join-waiting")

    business = Business.objects.get(name="老王热干面")
    assert business.region_l3 == "420102" and business.stores.get().name == "中山大道店"
    business_approve(actor=council, business=business)
    page.reload()
    assert page.get_by_text("已入驻").is_visible()
    assert page.get_by_role("link", name="查看工单").is_visible()
    shoot(page, "join-active")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="本店记录").click()
    page.wait_for_url("**/record/")
    assert page.get_by_text("暂未评级").first.is_visible()
    order = settled_case(business)
    page.reload()
    assert page.locator(".wb-score-num").first.inner_text().startswith("3.33")  # (5 × 3 + 5) / 6
    page.get_by_role("link", name=order.number).click()
    page.wait_for_url(f"**/complaints/{order.pk}/")
    page.go_back()
    shoot(page, "record")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="员工").click()
    page.wait_for_url("**/staff/")
    page.get_by_label("姓名").fill("小李")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_role("button", name="添加员工").click()
    page.wait_for_url("**/staff/")
    password = page.locator(".wb-password").inner_text().strip()
    assert len(password) == 14
    shoot(page, "staff")
    page.get_by_role("link", name="移除").click()
    page.wait_for_url("**/remove/")
    shoot(page, "staff-remove")
    page.go_back()

    other = phone_page()
    other.goto(live_server.url + "/signin/staff/")
    other.get_by_label("用户名").fill("xiaoli")
    other.get_by_label("密码").fill(password)
    other.get_by_role("button", name="登录", exact=True).click()
    other.wait_for_url("**/complaints/")
    assert other.get_by_role("heading", level=1).inner_text() == "工单"

    page.get_by_role("button", name="English").click()
    page.goto(live_server.url + "/record/")
    assert page.get_by_role("heading", level=1).inner_text() == "Our record"
    shoot(page, "record-en")


def settled_case(business):
    from hejie.accounts.services import consumer_get_or_create
    from hejie.complaints import services

    admin = business.staff.get()
    consumer = consumer_get_or_create(phone="13800138000")
    order = services.complaint_submit(
        consumer=consumer, business_id=business.pk, problem_type="quality", description="热干面里有异物，要求退款。",
        claim_type="refund", claim_amount="38.00", purchase_amount="38.00")
    proposal = services.proposal_make(actor=admin, complaint=order, terms="全额退款 38 元", amount="38.00")
    services.proposal_accept(actor=consumer, complaint=order, proposal_id=proposal.pk)
    return order


def test_without_javascript_the_picker_goes_step_by_step(reference_data, live_server, browser, shoot):
    from tests.web.conftest import PHONE_VIEWPORT

    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", device_scale_factor=1,
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/join/")
    page.get_by_label("商户名称").fill("老王热干面")
    page.get_by_label("统一社会信用代码").fill("91420102MA4K")
    region = page.locator('fieldset[data-picker="region"]')
    region.get_by_label("省份").select_option("420000")
    region.get_by_role("button", name="选择").click()
    region.get_by_label("城市").select_option("420100")
    region.get_by_role("button", name="选择，显示下一级").click()
    assert region.get_by_label("区县").is_visible()
    assert page.get_by_label("商户名称").input_value() == "老王热干面"
    shoot(page, "join-nojs-picker")
    page.get_by_role("button", name="提交入驻申请").click()
    assert "应为18位" in page.locator("#credit_code-error").inner_text()
    assert "请继续选择湖北省武汉市下的区县" in page.locator("#region_code-error").inner_text()
    assert page.get_by_label("统一社会信用代码").input_value() == "91420102MA4K"
    shoot(page, "join-nojs-errors")
    context.close()
