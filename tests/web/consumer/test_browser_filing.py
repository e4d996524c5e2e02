"""The "我要和解" form in a real browser at a phone's size: a consumer signs in
by SMS code, finds the business by its pinyin initials, files with two photos
and a PDF, and sees the number; a refused upload says why and loses nothing.

``HEJIE_SCREENSHOTS=<folder>`` saves a screenshot of every step."""

from __future__ import annotations

from PIL import Image

from tests.conftest import last_code
from tests.web.conftest import PHONE, browser_marks

pytestmark = browser_marks

PDF = (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n"
       b"<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>\n"
       b"endobj\nxref\n0 4\n0000000000 65535 f \n0000000015 00000 n \n0000000060 00000 n \n0000000111 00000 n \n"
       b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n176\n%%EOF\n")  # one blank page: a PDF that parses


def _files(tmp_path):
    png, jpg, pdf, fake = (tmp_path / "小票.png", tmp_path / "热干面.jpg", tmp_path / "发票.pdf",
                           tmp_path / "聊天记录.jpg")
    Image.new("RGB", (480, 640), (230, 200, 120)).save(png, "PNG")
    Image.new("RGB", (640, 480), (180, 60, 40)).save(jpg, "JPEG")
    pdf.write_bytes(PDF)
    fake.write_text("这不是图片，是一段文字。")
    return png, jpg, pdf, fake


def _sign_in(page, base, sms):
    page.goto(base + "/file/")
    page.wait_for_url("**/signin/?next=/file/")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/signin/code/**")
    page.get_by_label("验证码").fill(last_code(sms))
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/file/business/")


def test_consumer_files_a_complaint_with_photos_and_a_pdf(reference_data, live_server, phone_page, sms, shoot,
                                                          make_business, make_user, tmp_path):
    from hejie.businesses.names import initials_for
    from hejie.complaints.models import Complaint

    shop = make_business("武汉热干面馆", star_rating="4.20", credit_index="8.40")
    make_user("business", business=shop)  # someone can sign in for it: the order is delivered
    shop.name_initials = initials_for(shop.name)
    shop.save(update_fields=["name_initials"])
    make_business("汉口老通城豆皮馆")
    png, jpg, pdf, fake = _files(tmp_path)

    page = phone_page()
    _sign_in(page, live_server.url, sms)
    assert page.locator(".file-count").inner_text() == "第 1 步，共 5 步"
    assert page.locator('[aria-current="step"]').count() == 1
    shoot(page, "file-1-business")
    page.get_by_label("商户名称或拼音首字母").fill("whrg")
    page.get_by_role("button", name="查找", exact=True).click()
    results = page.locator(".file-results > li")
    assert results.count() == 1
    assert "★ 4.2" in results.first.inner_text() and "信用指数 8.4/10" in results.first.inner_text()
    shoot(page, "file-1-results")
    page.get_by_role("button", name="选这家 武汉热干面馆").click()

    page.wait_for_url("**/file/problem/")
    page.get_by_role("button", name="保存，下一步").click()
    assert "请选择问题类型" in page.locator("#problem_type-error").inner_text()
    assert "请写下发生了什么" in page.locator("#description-error").inner_text()
    shoot(page, "file-2-problem-errors")
    page.get_by_text("质量", exact=True).click()
    page.get_by_label("发生了什么").fill("11月28日买的热干面，吃出一根头发。找店员，店员说不关他们的事。")
    page.get_by_role("button", name="保存，下一步").click()

    page.wait_for_url("**/file/claim/")
    page.get_by_text("退款", exact=True).click()
    page.get_by_label("要求的金额（元）").fill("12.5")
    page.get_by_label("购买金额（元）").fill("12.5")
    page.get_by_label("订单号").fill("MT-20261128-001")
    shoot(page, "file-3-claim")
    page.get_by_role("button", name="保存，下一步").click()

    page.wait_for_url("**/file/evidence/")
    page.locator("#files").set_input_files([str(png), str(jpg), str(pdf)])
    # a locator, not a string predicate, which the page's CSP (no eval) refuses
    page.locator("#file-list .file-item:not(.is-uploading)").nth(2).wait_for(state="attached")
    items = page.locator("#file-list .file-item")
    assert items.count() == 3 and page.locator("#file-list .is-failed").count() == 0, items.all_inner_texts()
    assert page.locator("#file-list").get_by_text("已上传").count() == 3
    shoot(page, "file-4-evidence")
    page.reload()  # the files are kept on the server
    assert page.locator("#file-list .file-item").count() == 3
    assert page.locator("#file-list img.file-thumb").count() == 2
    page.get_by_role("button", name="下一步：检查并提交").click()

    page.wait_for_url("**/file/review/")
    for text in ("武汉热干面馆", "吃出一根头发", "¥12.5", "MT-20261128-001", "小票.png", "热干面.jpg", "发票.pdf"):
        assert page.get_by_text(text).first.is_visible(), text
    shoot(page, "file-5-review")
    page.get_by_role("button", name="确认提交投诉").click()

    page.wait_for_url("**/file/done/*/")
    complaint = Complaint.objects.get()
    assert page.locator(".file-number").inner_text() == complaint.number
    assert "商家须在 24 小时内答复您" in page.content() and "14 天内" in page.content()
    assert complaint.evidence.count() == 3 and complaint.order_ref == "MT-20261128-001"
    shoot(page, "file-6-done")
    page.get_by_role("link", name="查看这件投诉").click()
    page.wait_for_url(f"**/complaints/{complaint.pk}/")
    assert page.get_by_text("发票.pdf").is_visible()


def test_a_refused_upload_shows_why_and_the_draft_stays(reference_data, live_server, phone_page, sms, shoot,
                                                       make_business, tmp_path, settings):
    shop = make_business("武汉热干面馆")
    png, jpg, pdf, fake = _files(tmp_path)
    page = phone_page()
    _sign_in(page, live_server.url, sms)
    page.get_by_label("商户名称或拼音首字母").fill("热干面")
    page.get_by_role("button", name="查找", exact=True).click()
    page.get_by_role("button", name=f"选这家 {shop.name}").click()
    page.wait_for_url("**/file/problem/")
    page.get_by_text("服务", exact=True).click()
    page.get_by_label("发生了什么").fill("等了一个小时才上菜，还态度很差。")
    page.get_by_role("button", name="保存，下一步").click()
    page.get_by_text("道歉", exact=True).click()
    page.get_by_role("button", name="保存，下一步").click()
    page.wait_for_url("**/file/evidence/")

    page.locator("#files").set_input_files([str(png), str(fake)])
    # a locator, not a string predicate, which the page's CSP (no eval) refuses
    page.locator("#file-list .file-item:not(.is-uploading)").nth(1).wait_for(state="attached")
    failed = page.locator("#file-list .is-failed")
    assert failed.count() == 1
    assert "聊天记录.jpg" in failed.inner_text()
    assert "只能上传图片（JPEG、PNG、GIF、WebP）或PDF" in failed.locator(".error").inner_text()
    shoot(page, "file-7-upload-refused")
    # the refused file is not kept; the photo and everything typed before are
    page.reload()
    assert page.locator("#file-list .file-item").count() == 1
    page.goto(live_server.url + "/file/problem/")
    assert page.get_by_label("发生了什么").input_value() == "等了一个小时才上菜，还态度很差。"

    # without JavaScript the same form posts the files, and says the same
    context = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                               java_script_enabled=False)
    context.add_cookies(page.context.cookies())
    nojs = context.new_page()
    nojs.goto(live_server.url + "/file/evidence/")
    nojs.locator("#files").set_input_files([str(jpg), str(fake)])
    nojs.get_by_role("button", name="上传所选文件").click()
    errors = nojs.locator("#upload-errors")
    assert "聊天记录.jpg" in errors.inner_text() and "只能上传图片" in errors.inner_text()
    assert nojs.locator("#file-list .file-item").count() == 2
    shoot(nojs, "file-8-upload-refused-nojs")
    context.close()


def test_a_business_not_on_the_platform_in_english(reference_data, live_server, phone_page, sms, shoot):
    from hejie.complaints.models import Complaint

    page = phone_page()
    _sign_in(page, live_server.url, sms)
    page.get_by_role("button", name="English").click()
    assert page.locator(".file-count").inner_text() == "Step 1 of 5"
    page.get_by_text("Cannot find the business?").click()
    page.get_by_label("Business name", exact=True).fill("街角水果店")
    # the place picker: each level chosen shows the next one (by script), the name is kept
    place = page.get_by_role("group", name="Where the business is")
    place.get_by_label("Province").select_option("420000")
    place.get_by_label("City").select_option("420100")
    place.get_by_label("County / district").select_option("420102")
    assert page.get_by_label("Business name", exact=True).input_value() == "街角水果店"
    assert "湖北省武汉市江岸区" in page.locator(".file-place").inner_text()
    shoot(page, "file-9-not-on-platform-en")
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url("**/file/problem/")
    page.get_by_text("Quality", exact=True).click()
    page.get_by_label("What happened").fill("The watermelon I bought was rotten inside.")
    page.get_by_role("button", name="Save and go on").click()
    page.get_by_text("Exchange", exact=True).click()
    page.get_by_label("Amount paid (yuan)").fill("abc")
    page.get_by_role("button", name="Save and go on").click()
    assert page.locator("#purchase_amount-error").inner_text() == "Must be a number"
    page.get_by_label("Amount paid (yuan)").fill("25")
    page.get_by_role("button", name="Save and go on").click()
    page.get_by_role("button", name="Next: check and submit").click()
    page.wait_for_url("**/file/review/")
    assert page.get_by_text("the consumer council will review the complaint first").is_visible()
    shoot(page, "file-10-review-en")
    page.get_by_role("button", name="Submit the complaint").click()
    page.wait_for_url("**/file/done/*/")
    complaint = Complaint.objects.get()
    assert complaint.state == "pending_review" and complaint.region_id == "420102"
    assert "the local consumer council will review your complaint first" in page.content()
    shoot(page, "file-11-done-review-en")
