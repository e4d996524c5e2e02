"""The code page's wait before a new code counts down in a real browser (hejie/resend.js): the
button is held while the seconds run (Playwright's clock control moves them), then the note goes
and the button may be pressed; without the script the server's number is what the page says."""

from __future__ import annotations

import datetime as dt

from tests.web.conftest import PHONE, browser_marks

pytestmark = browser_marks


def test_the_resend_wait_counts_down_then_frees_the_button(reference_data, live_server, phone_page, sms):
    page = phone_page()
    page.clock.install(time=dt.datetime.now(dt.UTC))
    page.goto(live_server.url + "/signin/?next=/complaints/")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/signin/code/?next=*")
    page.wait_for_load_state("load")
    button = page.locator("#resend-button")
    seconds = page.locator("#resend-wait .resend-seconds")
    assert button.is_disabled()
    assert int(seconds.inner_text()) in (59, 60)
    page.clock.fast_forward("00:30")
    assert 29 <= int(seconds.inner_text()) <= 30 and button.is_disabled()
    page.clock.fast_forward("00:31")
    assert page.locator("#resend-wait").is_hidden()
    assert button.is_enabled()
    assert len(sms) == 1


def test_without_the_script_the_page_says_the_seconds(reference_data, live_server, browser, sms):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/signin/")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/signin/code/")
    assert page.locator("#resend-button").is_enabled()
    assert "秒后可重新获取验证码" in page.locator("#resend-wait").inner_text()
    page.locator("#resend-button").click()  # too soon: the same page, the seconds left, what was typed
    assert "/signin/" in page.url
    assert page.locator("h1").inner_text() == "输入验证码"
    assert "秒后再试" in page.locator("#resend-error").inner_text()
    assert len(sms) == 1
    context.close()
