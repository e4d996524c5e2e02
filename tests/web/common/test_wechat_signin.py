"""WeChat web sign-in and binding (hejie.web.common.wechat) with the Django test client, WeChat
being the fake API on a local port (tests/fakes/wechat.py): the browser's trip to WeChat is
followed by hand (the state from the authorize URL, a code the fake knows, back to the callback)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.test import Client

from hejie.accounts.models import User
from tests.conftest import last_code
from tests.web.conftest import PHONE

pytestmark = pytest.mark.django_db

CALLBACK = "/signin/wechat/callback/"


def _to_wechat(response, wechat) -> str:
    """The state our site gave WeChat on the authorize URL it sent the browser to."""
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    assert location.startswith(wechat.base + "connect/oauth2/authorize?")
    assert location.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(location.removesuffix("#wechat_redirect")).query)
    assert query["appid"] == ["wx-fake-app"] and query["scope"] == ["snsapi_base"]
    assert query["response_type"] == ["code"]
    assert unquote(query["redirect_uri"][0]).endswith(CALLBACK)
    return query["state"][0]


def _wechat_signin(client, wechat, openid, **params):
    state = _to_wechat(client.get("/signin/wechat/", params), wechat)
    return client.get(CALLBACK, {"code": wechat.add_code(openid), "state": state})


def _signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_the_sign_in_page_offers_wechat_only_when_configured(zh, settings):
    settings.HEJIE_WECHAT = {**settings.HEJIE_WECHAT, "app_id": ""}
    assert "微信登录" not in zh.get("/signin/").content.decode()
    assert zh.get("/signin/wechat/").status_code == 404


def test_the_sign_in_page_says_wechat_is_for_wechat_s_browser(zh, wechat):
    page = zh.get("/signin/?next=/complaints/").content.decode()
    assert 'id="wechat-signin"' in page and "在微信中打开本站时可用" in page
    assert 'href="/signin/wechat/?next=/complaints/"' in page


def test_a_bound_consumer_is_signed_in_and_sent_on(zh, wechat, consumer):
    consumer.wechat_openid = "o-consumer"
    consumer.save()
    response = _wechat_signin(zh, wechat, "o-consumer", next="/complaints/?page=2")
    assert response.status_code == 302 and response["Location"] == "/complaints/?page=2"
    assert _signed_in_as(zh) == consumer.pk
    [exchange] = wechat.calls("/sns/oauth2/access_token")
    assert exchange.query["grant_type"] == "authorization_code" and exchange.query["secret"] == "fake-secret"


def test_a_next_page_elsewhere_is_not_followed(zh, wechat, consumer):
    consumer.wechat_openid = "o-consumer"
    consumer.save()
    response = _wechat_signin(zh, wechat, "o-consumer", next="https://evil.example/")
    assert response["Location"] == "/complaints/"


def test_an_unknown_wechat_is_bound_to_the_phone_proved_by_code(zh, wechat, sms, django_capture_on_commit_callbacks):
    response = _wechat_signin(zh, wechat, "o-new", next="/complaints/")
    assert response.status_code == 302 and response["Location"] == "/signin/?next=%2Fcomplaints%2F"
    assert _signed_in_as(zh) is None
    page = zh.get(response["Location"]).content.decode()
    assert 'id="wechat-pending"' in page and "验证后微信即与这个手机号绑定" in page
    assert 'id="wechat-signin"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        zh.post("/signin/", {"phone": PHONE, "next": "/complaints/"})
    done = zh.post("/signin/code/", {"code": last_code(sms), "next": "/complaints/"})
    assert done.status_code == 302 and done["Location"] == "/complaints/"
    user = User.objects.get(phone=PHONE)
    assert user.wechat_openid == "o-new" and _signed_in_as(zh) == user.pk
    assert "已绑定微信" in zh.get("/complaints/").content.decode()
    # next time WeChat alone signs them in
    other = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert _wechat_signin(other, wechat, "o-new").status_code == 302 and _signed_in_as(other) == user.pk


def test_cancel_drops_the_wechat_and_the_phone_sign_in_binds_nothing(zh, wechat, sms,
                                                                      django_capture_on_commit_callbacks):
    _wechat_signin(zh, wechat, "o-new")
    assert zh.post("/signin/wechat/cancel/").status_code == 302
    assert 'id="wechat-pending"' not in zh.get("/signin/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        zh.post("/signin/", {"phone": PHONE})
    zh.post("/signin/code/", {"code": last_code(sms)})
    assert User.objects.get(phone=PHONE).wechat_openid is None


def test_a_wechat_bound_meanwhile_to_someone_else_is_not_bound_at_sign_in(zh, wechat, sms, make_user,
                                                                          django_capture_on_commit_callbacks):
    _wechat_signin(zh, wechat, "o-contested")
    make_user("consumer", phone="13700137000", wechat_openid="o-contested")
    with django_capture_on_commit_callbacks(execute=True):
        zh.post("/signin/", {"phone": PHONE})
    done = zh.post("/signin/code/", {"code": last_code(sms)})
    assert done.status_code == 302  # signed in by phone all the same
    assert User.objects.get(phone=PHONE).wechat_openid is None
    assert "这个微信已绑定另一个账号" in zh.get("/complaints/").content.decode()


# --- refusals -----------------------------------------------------------------------------


def test_a_tampered_or_missing_state_is_refused(zh, wechat, consumer):
    consumer.wechat_openid = "o-consumer"
    consumer.save()
    state = _to_wechat(zh.get("/signin/wechat/"), wechat)
    response = zh.get(CALLBACK, {"code": wechat.add_code("o-consumer"), "state": state[:-2] + "xx"})
    assert response.status_code == 400 and "微信授权请求无效或已过期" in response.content.decode()
    assert _signed_in_as(zh) is None
    assert zh.get(CALLBACK, {"code": wechat.add_code("o-consumer")}).status_code == 400
    assert wechat.calls("/sns/oauth2/access_token") == []  # never asked WeChat


def test_a_state_is_good_for_one_return_only(zh, wechat, consumer):
    consumer.wechat_openid = "o-consumer"
    consumer.save()
    state = _to_wechat(zh.get("/signin/wechat/"), wechat)
    assert zh.get(CALLBACK, {"code": wechat.add_code("o-consumer"), "state": state}).status_code == 302
    zh.post("/signout/")
    again = zh.get(CALLBACK, {"code": wechat.add_code("o-consumer"), "state": state})
    assert again.status_code == 400 and _signed_in_as(zh) is None


def test_someone_else_s_return_from_wechat_signs_no_one_in(wechat, consumer, staff):
    """The callback of a trip started in another browser (its state, its code) is refused here, whoever
    is signed in here: it cannot sign a staff member's browser in as the consumer."""
    consumer.wechat_openid = "o-consumer"
    consumer.save()
    theirs = Client()
    state = _to_wechat(theirs.get("/signin/wechat/"), wechat)
    mine = Client()
    mine.force_login(staff)
    response = mine.get(CALLBACK, {"code": wechat.add_code("o-consumer"), "state": state})
    assert response.status_code == 400 and _signed_in_as(mine) == staff.pk
    anonymous = Client()
    assert anonymous.get(CALLBACK, {"code": wechat.add_code("o-consumer"), "state": state}).status_code == 400
    assert _signed_in_as(anonymous) is None


def test_wechat_s_refusals_are_said_plainly(zh, wechat):
    state = _to_wechat(zh.get("/signin/wechat/"), wechat)
    unknown = zh.get(CALLBACK, {"code": "never-issued", "state": state})
    assert unknown.status_code == 502 and "微信授权码无效" in unknown.content.decode()

    code = wechat.add_code("o-someone")
    state = _to_wechat(zh.get("/signin/wechat/"), wechat)
    assert zh.get(CALLBACK, {"code": code, "state": state}).status_code == 302
    state = _to_wechat(zh.get("/signin/wechat/"), wechat)
    used = zh.get(CALLBACK, {"code": code, "state": state})
    assert used.status_code == 502 and "微信授权码已经用过" in used.content.decode()


def test_wechat_unreachable_is_a_page_not_a_500(zh, wechat):
    state = _to_wechat(zh.get("/signin/wechat/"), wechat)
    wechat.stop()
    response = zh.get(CALLBACK, {"code": "any", "state": state})
    assert response.status_code == 503 and "暂时无法连接微信" in response.content.decode()


def test_a_wechat_bound_to_staff_does_not_sign_in_as_anyone(zh, wechat, staff):
    staff.wechat_openid = "o-staff"
    staff.save()
    response = _wechat_signin(zh, wechat, "o-staff")
    assert response.status_code == 403 and "请使用用户名和密码登录" in response.content.decode()
    assert _signed_in_as(zh) is None


def test_a_deactivated_consumer_is_not_signed_in(zh, wechat, consumer):
    consumer.wechat_openid = "o-consumer"
    consumer.is_active = False
    consumer.save()
    response = _wechat_signin(zh, wechat, "o-consumer")
    assert response.status_code == 403 and _signed_in_as(zh) is None


# --- binding from the account's channels page ---------------------------------------------------


def test_staff_bind_and_unbind_wechat_from_the_channels_page(zh, wechat, staff):
    zh.force_login(staff)
    page = zh.get("/account/channels/").content.decode()
    assert "未绑定微信" in page and 'action="/account/wechat/bind/"' in page
    state = _to_wechat(zh.post("/account/wechat/bind/"), wechat)
    done = zh.get(CALLBACK, {"code": wechat.add_code("o-staff"), "state": state})
    assert done.status_code == 302 and done["Location"] == "/account/channels/"
    staff.refresh_from_db()
    assert staff.wechat_openid == "o-staff" and _signed_in_as(zh) == staff.pk
    page = zh.get("/account/channels/").content.decode()
    assert "已绑定微信。" in page and "解除微信绑定" in page

    assert zh.post("/account/channels/", {"action": "wechat_unbind"}).status_code == 302
    staff.refresh_from_db()
    assert staff.wechat_openid is None


def test_a_consumer_binds_wechat_from_the_channels_page(zh, wechat, consumer):
    zh.force_login(consumer)
    state = _to_wechat(zh.post("/account/wechat/bind/"), wechat)
    assert zh.get(CALLBACK, {"code": wechat.add_code("o-c"), "state": state}).status_code == 302
    consumer.refresh_from_db()
    assert consumer.wechat_openid == "o-c"
    zh.post("/account/channels/", {"action": "wechat_unbind"})
    consumer.refresh_from_db()
    assert consumer.wechat_openid is None


def test_a_wechat_bound_to_someone_else_is_refused(zh, wechat, staff, consumer):
    consumer.wechat_openid = "o-taken"
    consumer.save()
    zh.force_login(staff)
    state = _to_wechat(zh.post("/account/wechat/bind/"), wechat)
    response = zh.get(CALLBACK, {"code": wechat.add_code("o-taken"), "state": state})
    assert response.status_code == 409 and "这个微信已绑定另一个账号" in response.content.decode()
    assert 'href="/account/channels/"' in response.content.decode()
    staff.refresh_from_db()
    consumer.refresh_from_db()
    assert staff.wechat_openid is None and consumer.wechat_openid == "o-taken"


def test_binding_needs_the_same_person_signed_in_on_return(wechat, staff, consumer):
    browser = Client()
    browser.force_login(staff)
    state = _to_wechat(browser.post("/account/wechat/bind/"), wechat)
    browser.logout()
    response = browser.get(CALLBACK, {"code": wechat.add_code("o-x"), "state": state})
    assert response.status_code in (400, 403)
    assert not User.objects.filter(wechat_openid="o-x").exists()


def test_binding_is_for_signed_in_people_by_post(client, wechat):
    response = client.post("/account/wechat/bind/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")
    assert client.get("/account/wechat/bind/").status_code == 405
    assert wechat.requests == []
