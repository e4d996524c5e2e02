"""Sign-in pages over the account services: two steps by SMS code, staff by password."""

import datetime as dt
import re

import pytest
from django.test import Client

from tests.conftest import T0, last_code
from tests.web.conftest import PHONE

pytestmark = pytest.mark.django_db


def field_error(html: str, field: str) -> str:
    """The text of the error shown beside ``field`` (empty if none)."""
    match = re.search(rf'<p class="error" id="{field}-error" role="alert">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


def send(client, phone=PHONE, **extra):
    return client.post("/signin/", {"phone": phone, **extra}, REMOTE_ADDR="10.0.0.1")


def test_good_code_signs_in_and_lands_on_my_complaints(zh, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(zh)
    assert response.status_code == 302 and response["Location"] == "/signin/code/"
    page = zh.get("/signin/code/").content.decode()
    assert "138****8000" in page and 'autocomplete="one-time-code"' in page

    response = zh.post("/signin/code/", {"code": last_code(sms)})
    assert response.status_code == 302 and response["Location"] == "/complaints/"
    page = zh.get("/complaints/").content.decode()
    assert "<h1>我的投诉</h1>" in page and "退出登录" in page


def test_wrong_code_is_shown_beside_the_field(zh, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(zh)
    good = last_code(sms)
    wrong = "000000" if good != "000000" else "111111"
    response = zh.post("/signin/code/", {"code": wrong})
    assert response.status_code == 422
    assert field_error(response.content.decode(), "code") == "验证码错误，还可尝试4次"
    assert "_auth_user_id" not in zh.session

    response = zh.post("/signin/code/", {"code": "12"})
    assert field_error(response.content.decode(), "code") == "验证码应为6位数字"


def test_bad_phone_is_shown_beside_the_field_and_kept(zh, sms):
    response = send(zh, phone="12345")
    assert response.status_code == 422
    html = response.content.decode()
    assert field_error(html, "phone").startswith("请输入中国大陆11位手机号")
    assert 'value="12345"' in html and 'aria-invalid="true"' in html
    assert sms == []


def test_rate_limit_is_said_plainly_in_the_reader_s_language(zh, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(zh)
    response = send(zh)
    assert response.status_code == 429
    assert field_error(response.content.decode(), "phone").startswith("验证码发送过于频繁")
    assert len(sms) == 1

    zh.cookies["django_language"] = "en"
    message = field_error(send(zh).content.decode(), "phone")
    assert message.startswith("Too many codes for this number: at most 1 per 60 seconds; try again in")


def test_code_step_without_a_phone_goes_back_to_step_one(zh):
    assert zh.get("/signin/code/")["Location"] == "/signin/"


def test_next_is_followed_on_this_site_only(zh, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(zh, next="/complaints/?page=2")
    assert response["Location"] == "/signin/code/?next=%2Fcomplaints%2F%3Fpage%3D2"
    response = zh.post("/signin/code/", {"code": last_code(sms), "next": "https://evil.example/"})
    assert response["Location"] == "/complaints/"


def test_staff_sign_in_with_password(zh, staff):
    staff.set_password("correct-horse-9")
    staff.save()
    response = zh.post("/signin/staff/", {"username": staff.username, "password": "nope-nope-1"})
    assert response.status_code == 401
    html = response.content.decode()
    assert field_error(html, "password") == "用户名或密码错误" and f'value="{staff.username}"' in html

    response = zh.post("/signin/staff/", {"username": staff.username, "password": "correct-horse-9"})
    assert response.status_code == 302 and response["Location"] == "/complaints/"
    assert "<h1>工单</h1>" in zh.get("/complaints/").content.decode()


def test_staff_phone_cannot_get_a_code(zh, make_user, business, sms):
    make_user("business", phone="13900000099", business=business)
    response = send(zh, phone="13900000099")
    assert response.status_code == 403
    assert field_error(response.content.decode(), "phone").startswith("该手机号属于工作人员账号")


def test_sign_out_is_a_post(zh, consumer):
    zh.force_login(consumer)
    assert zh.get("/signout/").status_code == 405
    assert zh.post("/signout/")["Location"] == "/"
    assert "_auth_user_id" not in zh.session


def test_forms_carry_csrf_protection(consumer):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/signin/", {"phone": PHONE}).status_code == 403


def test_staff_sign_in_is_refused_after_five_wrong_passwords_and_says_when_to_return(zh, staff, traveller):
    staff.set_password("correct-horse-9")
    staff.save()
    for _ in range(5):
        response = zh.post("/signin/staff/", {"username": staff.username, "password": "nope-nope-1"})
        assert response.status_code == 401
    traveller.shift(dt.timedelta(minutes=3))
    response = zh.post("/signin/staff/", {"username": staff.username, "password": "correct-horse-9", "next": "/x/"})
    assert response.status_code == 429 and response["Retry-After"] == str(12 * 60)
    html = response.content.decode()
    assert field_error(html, "password") == "该账号在此网络的密码错误次数过多，请12分钟后再试"
    assert f'value="{staff.username}"' in html and 'name="next" value="/x/"' in html  # kept …
    assert "correct-horse-9" not in html  # … but never the password
    assert "_auth_user_id" not in zh.session

    zh.cookies["django_language"] = "en"
    html = zh.post("/signin/staff/", {"username": staff.username, "password": "correct-horse-9"}).content.decode()
    assert field_error(html, "password") == ("Too many wrong passwords for this account from this network; "
                                             "try again in 12 minutes")

    traveller.move_to(T0 + dt.timedelta(minutes=15))
    response = zh.post("/signin/staff/", {"username": staff.username, "password": "correct-horse-9"})
    assert response.status_code == 302 and "_auth_user_id" in zh.session


def test_staff_sign_in_counts_wrong_passwords_per_address(zh, staff, traveller):
    staff.set_password("correct-horse-9")
    staff.save()
    for n in range(30):
        zh.post("/signin/staff/", {"username": f"guess{n}", "password": "nope-nope-1"}, REMOTE_ADDR="10.0.0.7")
    response = zh.post("/signin/staff/", {"username": staff.username, "password": "correct-horse-9"},
                       REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429
    assert field_error(response.content.decode(), "password").startswith("此网络密码错误次数过多")
    response = zh.post("/signin/staff/", {"username": staff.username, "password": "correct-horse-9"},
                       REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 302
