"""/account/password/: staff who sign in with a password change it. Consumers (SMS
sign-in, no password) get 404; anyone not signed in is sent to the staff sign-in."""

import datetime as dt
import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from hejie.accounts.services import token_authenticate, token_create
from hejie.businesses import services as businesses
from tests.conftest import T0

pytestmark = pytest.mark.django_db

URL = "/account/password/"
OLD = "old-pass-2026-hejie"
NEW = "new-pass-2026-hejie"


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error" role="alert">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


def with_password(user, password=OLD):
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def sign_in(client, user, password=OLD):
    response = client.post("/signin/staff/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content
    return client


def post(client, current=OLD, new=NEW, again=None):
    return client.post(URL, {"current_password": current, "new_password": new,
                             "new_password_again": new if again is None else again})


@pytest.fixture
def clerk(make_user, business):
    return with_password(make_user("business", business=business, username="clerk"))


def test_staff_change_their_password_and_stay_signed_in(zh, clerk):
    sign_in(zh, clerk)
    elsewhere = sign_in(Client(), clerk)  # the same account on another device
    html = zh.get(URL).content.decode()
    for text in ("<h1>修改密码</h1>", "当前密码", "新密码", "再次输入新密码", 'autocomplete="current-password"',
                 'autocomplete="new-password"', "clerk"):
        assert text in html, text
    response = post(zh)
    assert response.status_code == 302 and response["Location"] == URL
    html = zh.get(URL).content.decode()
    assert "密码已修改" in html  # the message, and still signed in
    assert zh.get("/complaints/").status_code == 200
    assert authenticate(username="clerk", password=NEW) == clerk
    assert authenticate(username="clerk", password=OLD) is None
    assert elsewhere.get(URL)["Location"].startswith("/signin/staff/")  # the other session ended
    zh.post("/signout/")
    sign_in(zh, clerk, NEW)


def test_a_wrong_current_password_is_beside_its_field(zh, clerk):
    sign_in(zh, clerk)
    response = post(zh, current="not-my-password")
    assert response.status_code == 422
    html = response.content.decode()
    assert field_error(html, "current_password") == "当前密码不正确"
    assert 'id="current_password" name="current_password" type="password" autocomplete="current-password" ' \
           'aria-invalid="true"' in html
    assert NEW not in html and OLD not in html  # passwords are never written back into the page
    assert authenticate(username="clerk", password=OLD) == clerk


def test_a_mismatch_and_a_weak_password_are_beside_their_fields(zh, clerk):
    sign_in(zh, clerk)
    response = post(zh, again="something-else-2026")
    assert response.status_code == 422
    assert field_error(response.content.decode(), "new_password_again") == "两次输入的新密码不一致"
    response = post(zh, new="short")
    assert response.status_code == 422
    assert field_error(response.content.decode(), "new_password").startswith("密码不符合要求")
    assert authenticate(username="clerk", password=OLD) == clerk


def test_the_page_in_english(en, clerk):
    sign_in(en, clerk)
    html = en.get(URL).content.decode()
    assert "<h1>Change password</h1>" in html and "Current password" in html and "New password again" in html
    html = post(en, current="nope").content.decode()
    assert field_error(html, "current_password") == "The current password is wrong"
    en.post(URL, {"current_password": OLD, "new_password": NEW, "new_password_again": NEW})
    assert "Your password has been changed" in en.get(URL).content.decode()


def test_every_staff_role_has_the_page_and_the_link(zh, make_user, business):
    from hejie.partners.models import Partner

    partner = Partner.objects.create(name="美食外卖平台", kind="platform", region_id="420000")
    for user in (make_user("business", business=business, is_business_admin=True),
                 make_user("council", region="420100"), make_user("operator"),
                 make_user("partner", partner=partner)):
        with_password(user)
        zh.force_login(user)
        assert zh.get(URL).status_code == 200, user.role
        assert f'href="{URL}"' in zh.get("/notices/").content.decode(), user.role


def test_an_invited_clerk_replaces_the_initial_password(zh, clerk, make_user, business):
    admin = make_user("business", business=business, is_business_admin=True)
    member, initial = businesses.staff_invite(actor=admin, business=business, username="newbie", display_name="小李")
    sign_in(zh, member, initial)
    assert post(zh, current=initial).status_code == 302
    assert authenticate(username="newbie", password=NEW) == member


def test_consumers_get_404_and_no_link(zh, consumer):
    zh.force_login(consumer)
    assert zh.get(URL).status_code == 404
    assert post(zh, current="", new=NEW).status_code == 404
    assert f'href="{URL}"' not in zh.get("/complaints/").content.decode()


def test_anonymous_is_sent_to_the_staff_sign_in(zh, db):
    assert zh.get(URL)["Location"] == f"/signin/staff/?next={URL}"
    assert post(zh)["Location"] == f"/signin/staff/?next={URL}"
    assert f'href="{URL}"' not in zh.get("/").content.decode()


def test_other_methods_are_refused(zh, clerk):
    sign_in(zh, clerk)
    assert zh.put(URL).status_code == 405


def test_five_wrong_current_passwords_lock_the_page_for_a_while(zh, clerk, traveller):
    sign_in(zh, clerk)
    for _ in range(5):
        assert post(zh, current="not-my-password").status_code == 422
    response = post(zh)  # the right current password, refused unchecked
    assert response.status_code == 429 and response["Retry-After"] == "900"
    html = response.content.decode()
    assert field_error(html, "current_password") == "该账号在此网络的密码错误次数过多，请15分钟后再试"
    assert NEW not in html and OLD not in html
    assert authenticate(username="clerk", password=OLD) == clerk
    zh.post("/signout/")  # the sign-in shares the count
    assert zh.post("/signin/staff/", {"username": "clerk", "password": OLD}).status_code == 429
    traveller.move_to(T0 + dt.timedelta(minutes=15))
    sign_in(zh, clerk)
    assert post(zh).status_code == 302
    assert authenticate(username="clerk", password=NEW) == clerk


def test_the_change_revokes_the_api_keys_and_says_so(zh, clerk):
    sign_in(zh, clerk)
    post(zh, new="first-new-pass-2026")
    assert "API密钥" not in zh.get(URL).content.decode()  # none to revoke: not a word about them
    raw = token_create(user=clerk)
    post(zh, current="first-new-pass-2026")
    html = zh.get(URL).content.decode()
    assert "密码已修改" in html and "此账号的API密钥已全部吊销，使用API需重新获取。" in html
    assert token_authenticate(raw) is None

    raw = token_create(user=clerk)
    zh.cookies["django_language"] = "en"
    post(zh, current=NEW, new="second-new-pass-2026")
    assert "Every API key of this account has been revoked" in zh.get(URL).content.decode()
    assert token_authenticate(raw) is None
