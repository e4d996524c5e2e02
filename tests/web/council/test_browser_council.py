"""The council console in a real browser (Debian's chromium through Playwright):
a council member signs in, opens the dashboard, follows a figure to its
orders, urges an overdue order, takes a failed order into mediation and
records a settlement, publishes a black-list candidate; the business signs in
and appeals it. Screenshots at a phone's size and at a desk's (1280 × 800)."""

from __future__ import annotations

import datetime as dt

from hejie.complaints.models import Complaint, Urge
from hejie.core import clock
from hejie.ratings.models import BlacklistAppeal, BlacklistEntry
from tests.oversight.test_dashboard import order
from tests.web.conftest import PHONE_VIEWPORT, browser_marks

pytestmark = browser_marks

DESK = {"width": 1280, "height": 800}
PASSWORD = "hejie-test-2026"


def _sign_in(page, base, username):
    page.goto(base + "/signin/staff/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def test_a_council_member_runs_the_console_and_the_business_appeals(reference_data, live_server, browser, shoot,
                                                                   make_business, make_user):
    shop = make_business("江岸热干面", region="420102")
    gym = make_business("江汉健身房", region="420103", industry="fitness" if _has("fitness") else "catering")
    staff = make_user("business", business=shop, username="jiangan")
    staff.set_password(PASSWORD)
    staff.save()
    member = make_user("council", region="420100", username="wuhan_council", display_name="李调解")
    member.set_password(PASSWORD)
    member.save()
    consumer = make_user("consumer", phone="13912345678", display_name="张三")
    now = clock.now()
    overdue = order(shop, consumer, created=now - dt.timedelta(hours=30))
    failed = order(gym, consumer, created=now - dt.timedelta(days=16), failed=True)
    for i, hours in enumerate((2, 5, 20, 50)):
        order(shop, consumer, created=now - dt.timedelta(days=3 + i), settled_after=dt.timedelta(hours=hours))
    for i in range(3):
        order(shop, consumer, created=now - dt.timedelta(days=20 + i), failed=True)
    for i in range(6):  # a surge at the gym: six in three days, none before
        order(gym, consumer, created=now - dt.timedelta(hours=5 + i * 8))
    entry = BlacklistEntry.objects.create(business=shop, rule="failed_cases",
                                          reason="90天内3次和解失败 (3 failed cases in 90 days)")
    entry.cases.add(*Complaint.objects.filter(business=shop, state="failed"))

    base = live_server.url
    for size, viewport in (("desk", DESK), ("phone", PHONE_VIEWPORT)):
        context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)
        page = context.new_page()
        _sign_in(page, base, "wuhan_council")
        page.get_by_role("navigation", name="主菜单").get_by_role("link", name="监督台").click()
        page.wait_for_url("**/council/")
        assert page.get_by_role("heading", level=1).inner_text().startswith("监督台")
        assert page.get_by_text("江汉健身房").first.is_visible()  # the surge
        shoot(page, f"council-{size}-01-dashboard")
        if size == "desk":
            page.get_by_role("button", name="English").click()
            assert page.get_by_role("heading", name="Overdue now").is_visible()
            shoot(page, "council-desk-01-dashboard-en")
            page.get_by_role("button", name="中文").click()
            page.goto(base + "/council/orders/?queue=urge")
            shoot(page, "council-desk-02-queue")
            page.goto(base + f"/council/orders/{failed.pk}/")
            shoot(page, "council-desk-03-order")
            page.goto(base + "/council/lists/")
            shoot(page, "council-desk-04-lists")
            context.close()
            continue
        # follow a figure to the orders behind it
        page.get_by_role("link", name="超 24 小时未首次答复").click()
        page.wait_for_url("**/council/orders/?overdue=awaiting_first_response")
        assert page.get_by_role("link", name=overdue.number).is_visible()
        shoot(page, "council-phone-02-overdue")
        # urge it
        page.get_by_role("link", name=overdue.number).click()
        page.get_by_label("催办说明（可选，商家会看到）").fill("请今天内答复消费者。")
        page.get_by_role("button", name="催办", exact=True).click()
        assert page.get_by_text("已催办，商家需确认收到。").is_visible()
        assert page.get_by_text("商家尚未确认").is_visible()
        shoot(page, "council-phone-03-urged")
        # take the failed order into mediation and record a settlement
        page.goto(base + f"/council/orders/{failed.pk}/")
        page.get_by_role("button", name="转入调解").click()
        assert page.get_by_text("已进入消委调解。").is_visible()
        page.get_by_label("以消委身份给双方留言").fill("请双方明天上午十点在线沟通。")
        page.get_by_role("button", name="发送").click()
        page.get_by_role("radio", name="调解成功").check()
        page.get_by_label("调解协议（调解成功时必填）").fill("商家退还剩余课时费 600 元")
        page.get_by_label("金额（元，可选）").fill("600")
        page.get_by_role("button", name="记录结果").click()
        assert page.get_by_text("调解结果已记录，双方会收到通知。").is_visible()
        shoot(page, "council-phone-04-mediated")
        # publish the black-list candidate
        page.get_by_role("navigation", name="监督台菜单").get_by_role("link", name="黑榜与红榜").click()
        page.get_by_role("button", name="公布到黑榜").click()
        assert page.locator(f"#publish-{entry.pk}-error").is_visible()  # a reason is required
        page.get_by_label("公布理由（将公开）").fill("三次和解失败，拒不处理消费者投诉")
        page.get_by_role("button", name="公布到黑榜").click()
        assert page.get_by_text("已公布到黑榜").is_visible()
        shoot(page, "council-phone-05-published")
        context.close()

    assert Urge.objects.filter(complaint=overdue, kind="manual").exists()
    failed.refresh_from_db()
    assert failed.state == "mediated"
    entry.refresh_from_db()
    assert entry.status == "published"

    # the business signs in and appeals
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    _sign_in(page, base, "jiangan")
    page.goto(base + "/appeals/")
    assert page.get_by_text("三次和解失败，拒不处理消费者投诉").is_visible()
    page.get_by_label("申诉理由").fill("我们已为三位消费者全额退款，并更换了店长。")
    page.get_by_role("button", name="提交申诉").click()
    assert page.get_by_text("申诉已提交").is_visible()
    shoot(page, "council-phone-06-appealed")
    context.close()
    assert BlacklistAppeal.objects.get(entry=entry).text.startswith("我们已为三位消费者")


def _has(code: str) -> bool:
    from hejie.businesses.models import Industry

    return Industry.objects.filter(code=code).exists()
