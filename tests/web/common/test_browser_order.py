"""The order page in a real browser at a phone's size, both sides taking turns:
the business answers and offers, the consumer rejects with a counter-offer
citing a clause, the business offers again, the consumer accepts and rates
with stars, the business sees the stars; and the language switch on the order
page. ``HEJIE_SCREENSHOTS=<folder>`` saves a screenshot of each step."""

from __future__ import annotations

import io
import re

from tests.conftest import last_code
from tests.web.conftest import PHONE, browser_marks

pytestmark = browser_marks

PASSWORD = "hejie-test-2026"


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 180), (245, 240, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 20, 220, 160), outline=(155, 34, 38), width=6)
    draw.line((20, 20, 220, 160), fill=(155, 34, 38), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _setup(make_business, make_user):
    from hejie.accounts.services import consumer_get_or_create
    from hejie.complaints import evidence, services
    from hejie.standards import services as std

    shop = make_business("武汉热干面馆")
    staff = make_user("business", business=shop, display_name="店长小王")
    staff.set_password(PASSWORD)
    staff.save()
    operator = make_user("operator")
    standard = std.standard_create(actor=operator, industry="catering", title="餐饮服务规范")
    std.version_draft(actor=operator, standard=standard)
    std.clause_set(actor=operator, standard=standard, version=1, number="3.2",
                   text="菜品中出现异物的，经营者应全额退款。")
    std.version_publish(actor=operator, standard=standard, version=1)
    consumer = consumer_get_or_create(phone=PHONE)
    order = services.complaint_submit(
        consumer=consumer, business_id=shop.pk, problem_type="quality",
        description="买的热干面里吃出一根头发，店员不予处理，要求全额退款。", claim_type="refund",
        claim_amount="38.00", purchase_amount="38.00", order_ref="WX-20260315-7788")
    evidence.evidence_add(actor=consumer, complaint=order, name="热干面.png", data=_png())
    return staff, consumer, order


def _staff_signs_in(page, url, staff):
    page.goto(url + "/signin/staff/")
    page.get_by_label("用户名").fill(staff.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/complaints/")


def _consumer_signs_in(page, url, sms):
    page.goto(url + "/signin/")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/signin/code/")
    page.get_by_label("验证码").fill(last_code(sms))
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/complaints/")


def _fits(page) -> None:
    """Nothing wider than the phone's screen (no sideways scrolling), measured once the page has loaded."""
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def test_both_sides_settle_an_order_and_the_consumer_rates_it(reference_data, live_server, phone_page, sms, shoot,
                                                              make_business, make_user):
    staff, consumer, order = _setup(make_business, make_user)
    url = live_server.url
    order_url = f"{url}/complaints/{order.pk}/"

    # the business: its inbox with the countdown, then the order
    shop = phone_page()
    _staff_signs_in(shop, url, staff)
    assert shop.locator(".countdown").first.inner_text().startswith("还剩 23 小时")
    _fits(shop)
    shoot(shop, "order-01-business-inbox")
    shop.get_by_role("link", name=re.compile("质量 · 退款")).click()
    assert shop.get_by_text("138****8000").is_visible()
    _fits(shop)
    shoot(shop, "order-02-business-order")
    shop.get_by_label("回复消费者").fill("您好，非常抱歉，我们正在核实。")
    shop.get_by_label("附上图片或 PDF（可选）").set_input_files(
        files=[{"name": "门店后厨.png", "mimeType": "image/png", "buffer": _png()}])
    shop.get_by_role("button", name="发送", exact=True).click()
    assert shop.get_by_role("status").inner_text() == "留言已发送。"
    assert shop.locator(".msg .thumb img").count() == 1
    shop.get_by_label("方案内容").fill("退一半，19 元。")
    shop.get_by_label("金额（元，可选）").fill("19")
    shop.get_by_role("button", name="发送方案").click()
    assert shop.get_by_role("status").inner_text() == "和解方案已发送给消费者。"
    shoot(shop, "order-03-business-offered")

    # the consumer: rejects with a counter-offer citing the clause
    phone = phone_page()
    _consumer_signs_in(phone, url, sms)
    assert phone.get_by_text("商家提出了和解方案，请回复").is_visible()
    assert phone.get_by_text("您好，非常抱歉，我们正在核实。").is_visible()
    _fits(phone)
    shoot(phone, "order-04-consumer-list")
    phone.get_by_role("link", name="武汉热干面馆").click()
    phone.wait_for_url(f"**/complaints/{order.pk}/")
    _fits(phone)
    shoot(phone, "order-05-consumer-offer")
    phone.get_by_text("拒绝并还价").click()
    phone.get_by_label("您能接受的方案").fill("全额退款 38 元。")
    phone.get_by_label("金额（元，可选）").fill("38.5.0")
    phone.get_by_role("button", name="发送还价").click()
    assert phone.locator("#counter_amount-error").inner_text() == "金额应为数字"
    assert phone.get_by_label("您能接受的方案").input_value() == "全额退款 38 元。"
    shoot(phone, "order-06-consumer-counter-error")
    phone.get_by_label("金额（元，可选）").fill("38")
    picker = phone.locator("#counter_clause")
    assert picker.locator("option").nth(1).inner_text().startswith("3.2 菜品中出现异物")
    picker.select_option(index=1)
    phone.get_by_role("button", name="发送还价").click()
    assert phone.get_by_role("status").inner_text() == "您的还价已发送给商家。"
    shoot(phone, "order-07-consumer-countered")

    # the business sees the counter-offer and its clause, and offers again
    shop.goto(order_url)
    assert shop.get_by_text("引用《餐饮服务规范》第 3.2 条（第 1 版）").is_visible()
    shop.get_by_label("方案内容").fill("全额退款 38 元，3 日内退回原支付账户。")
    shop.get_by_label("金额（元，可选）").fill("38")
    shop.get_by_role("button", name="发送方案").click()
    assert shop.get_by_role("status").is_visible()

    # the consumer accepts: settled, and rates with stars
    phone.goto(order_url)
    phone.get_by_role("button", name="接受方案").click()
    assert phone.get_by_role("status").inner_text() == "您已接受和解方案，和解成功。"
    assert phone.locator(".order-meta .state").inner_text() == "和解成功"
    _fits(phone)
    shoot(phone, "order-08-consumer-settled")
    phone.locator("label[for=rate-5]").click()
    assert phone.locator("#rate-5").is_checked()
    phone.get_by_label("评价（可选）").fill("处理很快，谢谢。")
    shoot(phone, "order-09-consumer-rating")
    phone.get_by_role("button", name="提交评价").click()
    assert phone.get_by_role("status").inner_text() == "感谢您的评价。"
    assert phone.locator(".rating-shown").inner_text().endswith("5 / 5")

    # the business sees the settled state and the stars
    shop.goto(order_url)
    assert shop.locator(".order-meta .state").inner_text() == "和解成功"
    assert "★★★★★" in shop.locator(".rating-shown").inner_text()
    assert shop.get_by_text("处理很快，谢谢。").is_visible()
    _fits(shop)
    shoot(shop, "order-10-business-sees-stars")
    shop.get_by_role("navigation", name="主菜单").get_by_role("link", name=re.compile("^通知")).click()
    shoot(shop, "order-11-business-notices")

    # the language switch keeps the same order
    phone.goto(order_url)
    phone.get_by_role("button", name="English").click()
    phone.wait_for_url(order_url)
    assert phone.get_by_role("heading", name="Settlement offers").is_visible()
    assert phone.locator(".order-meta .state").inner_text() == "Settled"
    assert phone.get_by_text("Cites clause 3.2 of “餐饮服务规范” (version 1)").first.is_visible()
    _fits(phone)
    shoot(phone, "order-12-consumer-order-en")
    phone.get_by_role("button", name="中文").click()
    phone.wait_for_url(order_url)
    assert phone.get_by_role("heading", name="和解方案").is_visible()


def test_urges_are_acknowledged_and_a_consumer_withdraws(reference_data, live_server, phone_page, sms, shoot,
                                                         make_business, make_user):
    from hejie.complaints import services
    from hejie.complaints.models import Urge

    staff, consumer, order = _setup(make_business, make_user)
    council = make_user("council", region="420100")
    services.complaint_urge(actor=council, complaint=order, note="该投诉已超过12小时未答复，请今日内处理。")
    url = live_server.url
    order_url = f"{url}/complaints/{order.pk}/"

    shop = phone_page()
    _staff_signs_in(shop, url, staff)
    assert shop.locator(".order.urged .urge-line").inner_text().startswith("消委催办")
    shop.get_by_role("link", name="被催办").click()
    assert shop.locator(".order").count() == 1
    _fits(shop)
    shoot(shop, "order-13-business-inbox-urged")
    shop.goto(order_url)
    assert shop.locator(".card.urge").get_by_text("请今日内处理").is_visible()
    shoot(shop, "order-14-business-urge")
    shop.get_by_role("button", name="确认收到催办").click()
    assert shop.get_by_role("status").inner_text() == "已确认收到催办。"
    assert shop.locator(".card.urge").count() == 0 and shop.locator("ul.quiet").is_visible()
    assert Urge.objects.get().acknowledged_by_id == staff.pk

    phone = phone_page()
    _consumer_signs_in(phone, url, sms)
    phone.goto(order_url)
    phone.get_by_role("link", name="撤回投诉").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "撤回投诉？"
    _fits(phone)
    shoot(phone, "order-15-consumer-withdraw-confirm")
    phone.get_by_label("撤回原因（可选）").fill("商家已当面退款。")
    phone.get_by_role("button", name="确认撤回").click()
    phone.wait_for_url(order_url)
    assert phone.locator(".order-meta .state").inner_text() == "已撤回"
    assert phone.get_by_text("商家已当面退款。").first.is_visible()
    shoot(phone, "order-16-consumer-withdrawn")
