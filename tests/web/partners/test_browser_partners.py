"""A partner's staff member, in a real browser (phone size, then a desk):
signs in, uploads a mixed CSV, reads the row report with the refusals and
their reasons before anything is created, commits, and sees the businesses."""

from __future__ import annotations

from tests.conftest import last_code, make_credit_code
from tests.partners.conftest import csv_bytes
from tests.web.conftest import PHONE_VIEWPORT, browser_marks

pytestmark = browser_marks

PASSWORD = "hejie-partner-2026"
DESK = {"width": 1280, "height": 900}


def test_partner_uploads_a_mixed_file_reads_the_report_and_commits(reference_data, live_server, browser, shoot,
                                                                  make_user, make_business, tmp_path):
    from hejie.businesses.models import Business
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    partner = Partner.objects.create(name="美食外卖平台", kind="platform", region=Region.objects.get(code="420000"),
                                     status="active", onboard_status="active")
    clerk = make_user("partner", partner=partner, username="meishi-clerk")
    clerk.set_password(PASSWORD)
    clerk.save()
    existing = make_business("汉口老通城豆皮馆")
    rows = [
        ("武汉热干面馆（江汉路店）", make_credit_code(31001), "餐饮", "420102", "江汉路 1 号", "张三", "13800000001",
         "江汉路店@420102;吉庆街店@420103", 36500),
        ("楚味鸭脖", make_credit_code(31002), "catering", "420103", "", "", "", "", 12000),
        ("丢了字母的店", make_credit_code(31003)[:17], "餐饮", "420102", "", "", "", "", ""),
        ("炼丹铺", make_credit_code(31004), "炼丹", "420102", "", "", "", "", ""),
        ("汉口老通城豆皮馆", existing.credit_code, "餐饮", "420102", "", "", "", "", ""),
        ("重复的鸭脖", make_credit_code(31002), "餐饮", "420103", "", "", "", "", ""),
    ]
    upload = tmp_path / "商户名单.csv"
    upload.write_bytes(csv_bytes(rows))

    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.goto(live_server.url + "/signin/staff/")
    page.get_by_label("用户名").fill("meishi-clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="批量入驻").click()
    page.wait_for_url("**/partners/imports/")
    assert page.get_by_role("heading", level=1).inner_text() == "批量入驻"
    shoot(page, "partner-01-upload")

    page.get_by_role("button", name="上传并检查").click()  # no file chosen
    assert "请选择要上传" in page.locator("#file-error").inner_text()
    shoot(page, "partner-02-upload-no-file")

    page.get_by_label("CSV 或 xlsx 文件").set_input_files(str(upload))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url("**/partners/imports/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "导入报告"
    report = page.locator("table.pt-report")
    assert report.locator("tr.pt-refused").count() == 3
    assert report.locator("tr.pt-already").count() == 1
    assert report.locator("tr.pt-accepted").count() == 2
    refused_text = " ".join(report.locator("tr.pt-refused").all_inner_texts())
    assert "数字格式" in refused_text and "未知的行业" in refused_text and "与第3行" in refused_text
    assert Business.objects.filter(partner=partner).count() == 0  # the report comes before anything is created
    shoot(page, "partner-03-report-phone")
    page.set_viewport_size(DESK)
    shoot(page, "partner-04-report-desk")
    page.set_viewport_size(PHONE_VIEWPORT)

    page.get_by_role("link", name="不通过").click()
    assert report.locator("tbody tr").count() == 3
    page.get_by_role("button", name="确认导入 2 家商户").click()
    assert "导入完成：新建 2 家商户。" in page.locator(".flash").inner_text()
    assert Business.objects.filter(partner=partner).count() == 2
    shoot(page, "partner-05-committed")

    page.get_by_role("link", name="查看我们带来的商户").click()
    page.wait_for_url("**/partners/businesses/")
    assert page.get_by_text("楚味鸭脖").is_visible()
    assert page.get_by_text("武汉热干面馆(江汉路店)").is_visible()  # NFKC: half-width brackets
    shoot(page, "partner-06-businesses-phone")
    page.set_viewport_size(DESK)
    shoot(page, "partner-07-businesses-desk")
    page.goto(live_server.url + "/partners/imports/")
    shoot(page, "partner-08-batches-desk")
    page.set_viewport_size(PHONE_VIEWPORT)
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Bulk onboarding"
    shoot(page, "partner-09-batches-en")
    context.close()


def test_an_organisation_applies_to_be_a_partner(reference_data, live_server, browser, shoot, sms):
    from hejie.partners.models import Partner

    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.goto(live_server.url + "/partners/apply/")
    page.get_by_label("机构名称").fill("湖北省餐饮行业协会")
    page.get_by_label("行业协会").check()
    page.get_by_role("button", name="提交申请").click()
    assert "至少选择一个行业" in page.locator("#industries-error").inner_text()
    assert page.locator("#region_code-error").is_visible() and page.locator("#username-error").is_visible()
    assert page.get_by_label("机构名称").input_value() == "湖北省餐饮行业协会"  # the form is kept
    shoot(page, "partner-10-apply-errors")
    page.get_by_label("餐饮").check()
    page.get_by_label("所在地区代码").fill("420000")
    page.get_by_label("用户名").fill("hubei-catering")
    page.get_by_label("手机号").fill("13912345679")
    page.get_by_role("button", name="发送验证码").click()  # the form comes back with everything kept
    page.get_by_text("验证码已发送至 139****5679").wait_for()
    assert page.get_by_label("用户名").input_value() == "hubei-catering"
    page.get_by_label("短信验证码").fill(last_code(sms))
    page.get_by_label("密码").fill(PASSWORD)
    shoot(page, "partner-10b-apply-filled")
    page.get_by_label("密码").press("Enter")  # Enter applies (not "send the code")
    page.wait_for_url("**/partners/status/")
    assert page.get_by_text("待审核").is_visible()
    shoot(page, "partner-11-apply-status")
    assert Partner.objects.get(name="湖北省餐饮行业协会").status == "applied"
    context.close()
