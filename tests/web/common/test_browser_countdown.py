"""The countdowns tick in a real browser: the business inbox shows the server's
text, the script keeps it word for word when it first runs (Chinese and
English), the text moves as the browser's clock moves (Playwright's clock
control), and a deadline that passes turns overdue, in red, without a reload."""

from __future__ import annotations

import datetime as dt
import re

from tests.web.conftest import browser_marks

pytestmark = browser_marks

PASSWORD = "hejie-test-2026"
SERVER_TEXT = re.compile(r'<time class="countdown" datetime="[^"]+">([^<]+)</time>')


def _setup(make_business, make_user):
    from hejie.complaints.models import Complaint
    from hejie.core import clock

    shop = make_business("武汉热干面馆")
    staff = make_user("business", business=shop)
    staff.set_password(PASSWORD)
    staff.save()
    soon = _file(shop, make_user("consumer"), "A")
    later = _file(shop, make_user("consumer"), "B")
    now = clock.now()
    # deadlines half a minute clear of the next change of text, however slow the machine
    Complaint.objects.filter(pk=soon.pk).update(respond_by=now + dt.timedelta(seconds=150),
                                                settle_by=now + dt.timedelta(days=1, seconds=30 * 60))
    Complaint.objects.filter(pk=later.pk).update(respond_by=now + dt.timedelta(hours=1, seconds=90),
                                                 settle_by=now + dt.timedelta(days=3, hours=5, seconds=30 * 60))
    return staff, soon


def _file(shop, consumer, ref):
    from hejie.complaints.services import complaint_submit

    return complaint_submit(consumer=consumer, business_id=shop.pk, problem_type="quality",
                            description="买的热干面里有异物，要求退款。", claim_type="refund",
                            claim_amount="38.00", purchase_amount="38.00", order_ref=ref)


def _texts(page) -> list[str]:
    return page.locator("time.countdown").all_inner_texts()


def _card(page, number):
    return page.locator("li.order", has_text=number)


def test_countdowns_tick_and_turn_overdue_without_a_reload(reference_data, live_server, phone_page, make_business,
                                                          make_user):
    staff, soon = _setup(make_business, make_user)
    url = live_server.url
    page = phone_page()
    # the browser's clock (one for the whole context, both tabs), running on from the real time
    page.clock.install(time=dt.datetime.now(dt.UTC))
    page.goto(url + "/signin/staff/")
    page.get_by_label("用户名").fill(staff.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/complaints/")

    # the script's first run prints what the server printed, in both languages
    response = page.goto(url + "/complaints/")
    server = SERVER_TEXT.findall(response.text())
    assert sorted(server) == sorted(["还剩 2 分钟", "还剩 1 天 0 小时", "还剩 1 小时 1 分钟", "还剩 3 天 5 小时"])
    page.wait_for_load_state("load")
    assert _texts(page) == server
    english = page.context.new_page()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": url}])
    response = english.goto(url + "/complaints/")
    server_en = SERVER_TEXT.findall(response.text())
    assert sorted(server_en) == sorted(["2 minutes left", "1 day 0 hours left", "1 hour 1 minute left",
                                        "3 days 5 hours left"])
    english.wait_for_load_state("load")
    assert _texts(english) == server_en

    # the browser's time moves on: the text follows, then turns overdue and red, on the same page
    card, card_en = _card(page, soon.number), _card(english, soon.number)
    page.evaluate("window.notReloaded = true")
    assert card.locator("p.due").first.get_attribute("class") == "due"
    page.clock.fast_forward("01:00")
    assert card.locator("time.countdown").first.inner_text() == "还剩 1 分钟"
    assert card_en.locator("time.countdown").first.inner_text() == "1 minute left"
    assert card.locator("p.due").first.get_attribute("class") == "due"
    page.clock.fast_forward("01:30")
    assert card.locator("time.countdown").first.inner_text() == "已超过 1 分钟"
    assert card_en.locator("time.countdown").first.inner_text() == "1 minute overdue"
    assert card.locator("p.due").first.get_attribute("class") == "due late"
    assert card_en.locator("p.due").first.get_attribute("class") == "due late"
    assert card.locator("time.countdown").nth(1).inner_text() == "还剩 1 天 0 小时"  # the other deadline ticks on
    assert page.locator("p.due.late").count() == 1
    assert page.evaluate("window.notReloaded") is True

    page.clock.fast_forward("01:00:00")  # an hour later the second order's first answer is overdue too
    assert page.locator("p.due.late").count() == 2
    assert sorted(_texts(page)) == sorted(["已超过 1 小时 0 分钟", "还剩 23 小时 27 分钟",
                                           "已超过 1 分钟", "还剩 3 天 4 小时"])
