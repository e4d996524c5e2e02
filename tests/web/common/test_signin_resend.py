"""Asking for a new sign-in code within the 60-second wait keeps the person on the code page, with
their phone and ?next kept, and says in how many seconds they may ask again (the page counts it
down with hejie/resend.js; without the script the number is there)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import T0, last_code
from tests.web.conftest import PHONE

pytestmark = pytest.mark.django_db


def _wait_seconds(html: str) -> int:
    match = re.search(r'id="resend-wait" data-wait="(\d+)"[^>]*><span class="resend-seconds">(\d+)</span>', html)
    assert match, html
    assert match.group(1) == match.group(2)
    return int(match.group(1))


def test_asking_again_too_soon_stays_on_the_code_page(zh, sms, traveller, django_capture_on_commit_callbacks):
    traveller.move_to(T0)
    with django_capture_on_commit_callbacks(execute=True):
        first = zh.post("/signin/", {"phone": PHONE, "next": "/complaints/?page=2"}, REMOTE_ADDR="10.0.0.1")
    assert first.status_code == 302 and first["Location"] == "/signin/code/?next=%2Fcomplaints%2F%3Fpage%3D2"
    page = zh.get(first["Location"]).content.decode()
    assert _wait_seconds(page) == 60 and "秒后可重新获取验证码" in page
    assert '<script src="/static/hejie/resend.js" defer></script>' in page

    traveller.move_to(T0 + dt.timedelta(seconds=20))
    again = zh.post("/signin/", {"phone": PHONE, "resend": "1", "next": "/complaints/?page=2"},
                    REMOTE_ADDR="10.0.0.1")
    assert again.status_code == 429 and again["Retry-After"] == "40"
    html = again.content.decode()
    assert "<h1>输入验证码</h1>" in html and "138****8000" in html  # the code page, not the phone page
    assert _wait_seconds(html) == 40
    error = re.search(r'id="resend-error" role="alert">(.*?)</p>', html).group(1)
    assert "40秒后再试" in error
    assert f'name="phone" value="{PHONE}"' in html
    assert html.count('name="next" value="/complaints/?page=2"') == 2  # the code form and the resend form
    assert len(sms) == 1

    # the code already sent still signs in, and ?next is still followed
    done = zh.post("/signin/code/", {"code": last_code(sms), "next": "/complaints/?page=2"})
    assert done.status_code == 302 and done["Location"] == "/complaints/?page=2"


def test_after_the_wait_a_new_code_is_sent(zh, sms, traveller, django_capture_on_commit_callbacks):
    traveller.move_to(T0)
    with django_capture_on_commit_callbacks(execute=True):
        zh.post("/signin/", {"phone": PHONE})
    traveller.move_to(T0 + dt.timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        response = zh.post("/signin/", {"phone": PHONE, "resend": "1"})
    assert response.status_code == 302 and response["Location"] == "/signin/code/"
    assert len(sms) == 2


def test_the_wait_is_said_in_english_too(en, sms, traveller, django_capture_on_commit_callbacks):
    traveller.move_to(T0)
    with django_capture_on_commit_callbacks(execute=True):
        en.post("/signin/", {"phone": PHONE})
    traveller.move_to(T0 + dt.timedelta(seconds=15))
    html = en.post("/signin/", {"phone": PHONE, "resend": "1"}).content.decode()
    assert _wait_seconds(html) == 45
    assert "seconds before you can ask for a new code" in html


def test_asking_from_the_phone_page_too_soon_stays_there(zh, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        zh.post("/signin/", {"phone": PHONE})
    response = zh.post("/signin/", {"phone": PHONE})
    assert response.status_code == 429 and 'id="phone-error"' in response.content.decode()
    assert response["Retry-After"]


def test_the_hourly_limit_is_said_in_minutes_not_counted_down_in_seconds(zh, sms, traveller,
                                                                         django_capture_on_commit_callbacks):
    for i in range(5):  # five codes, a minute and a bit apart: the hourly limit is reached
        traveller.move_to(T0 + dt.timedelta(seconds=61 * i))
        with django_capture_on_commit_callbacks(execute=True):
            zh.post("/signin/", {"phone": PHONE, "resend": "1"}, REMOTE_ADDR=f"10.0.0.{i + 1}")
    assert len(sms) == 5
    traveller.move_to(T0 + dt.timedelta(seconds=61 * 4 + 120))  # the 60-second wait is long over
    page = zh.post("/signin/", {"phone": PHONE, "resend": "1"}, REMOTE_ADDR="10.0.0.9")
    html = page.content.decode()
    assert page.status_code == 429 and len(sms) == 5
    # the hour runs from the first code (T0): 3600 - 364 s = 3236 s left, about 54 minutes
    assert "约 54 分钟后可重新获取" in html and 'id="resend-wait"' not in html
    en = zh.get("/signin/code/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "in about 54 minutes" in en
