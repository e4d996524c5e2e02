"""The claim page an invited business opens from its SMS, and the partner's view of its merchants
that have orders waiting for a claim (with the reminder), each from the side of who is refused too."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hejie.businesses import claims
from hejie.businesses.models import ClaimInvitation
from hejie.complaints import services
from hejie.complaints.models import Complaint
from tests.conftest import T0, last_code

PHONE = "13912345678"
FILING = dict(problem_type="quality", description="买的热干面里有异物，要求退款。", claim_type="refund",
              claim_amount="38.00", purchase_amount="38.00")


@pytest.fixture
def waiting(traveller, django_capture_on_commit_callbacks, make_business, consumer, partner, sms):
    """An imported business with one order waiting for it, and the claim link it was sent."""
    shop = make_business("江城小龙虾", contact_phone=PHONE, partner=partner)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.complaint_submit(consumer=consumer, business_id=shop.pk, **FILING)
    invite = next(m for m in sms if m.kind == "claim")
    token = re.search(r"/claim/([^/\s]+)/", invite.body).group(1)
    return {"shop": shop, "order": order, "token": token, "path": f"/claim/{token}/"}


def test_the_link_opens_the_page_and_the_business_claims_its_account(
        zh, waiting, sms, traveller, django_capture_on_commit_callbacks):
    page = zh.get(waiting["path"]).content.decode()
    assert "江城小龙虾" in page and "139****5678" in page and PHONE not in page
    assert "处理时限从认领成功时开始计算：24 小时内首次答复，14 天内完成和解" in page
    traveller.shift(dt.timedelta(hours=1))  # an hour after the order was filed
    with django_capture_on_commit_callbacks(execute=True):
        sent = zh.post(waiting["path"], {"send_code": "1"})
    assert sent.status_code == 200 and "验证码已发送到 139****5678" in sent.content.decode()
    assert sms[-1].to == PHONE
    done = zh.post(waiting["path"], {"phone_code": last_code(sms), "credit_code": waiting["shop"].credit_code,
                                     "username": "lobster", "password": "a-long-Passw0rd!", "display_name": "王"},
                   follow=True)
    assert done.redirect_chain[-1][0] == "/complaints/"
    body = done.content.decode()
    assert "认领成功。1 件投诉已送达" in body and waiting["order"].number in body
    order = Complaint.objects.get(pk=waiting["order"].pk)
    assert order.state == "delivered" and order.delivered_at == T0 + dt.timedelta(hours=1)
    assert done.context["user"].business_id == waiting["shop"].pk
    # the link is spent
    again = zh.get(waiting["path"])
    assert again.status_code == 409 and "该商户已被认领" in again.content.decode()


def test_mistakes_keep_what_was_typed_and_say_what_is_wrong(zh, waiting, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        zh.post(waiting["path"], {"send_code": "1"})
    r = zh.post(waiting["path"], {"phone_code": last_code(sms), "credit_code": "91420102MA4K000000",
                                  "username": "lobster", "password": "short"})
    page = r.content.decode()
    assert r.status_code == 422
    assert 'id="credit_code-error"' in page and 'id="password-error"' in page
    assert 'value="lobster"' in page and 'value="91420102MA4K000000"' in page
    assert not claims.has_account(waiting["shop"])


@pytest.mark.parametrize("token", ["nonsense", "MQ:1tXyz:forged-signature-here"])
def test_a_bad_link_is_a_clear_page_not_an_error(zh, waiting, token):
    r = zh.get(f"/claim/{token}/")
    assert r.status_code == 404 and "认领链接无效" in r.content.decode()


def test_an_expired_link_says_so(zh, waiting, traveller):
    traveller.shift(claims.LINK_MAX_AGE + dt.timedelta(seconds=1))
    r = zh.get(waiting["path"])
    assert r.status_code == 409 and "认领链接已过期" in r.content.decode()


def test_the_page_in_english(en, waiting):
    page = en.get(waiting["path"]).content.decode()
    assert "Claim your business account" in page and "Step 1: confirm the registered mobile number" in page


def test_the_partner_sees_its_waiting_merchants_and_reminds_them(
        client, waiting, make_user, partner, traveller, sms, django_capture_on_commit_callbacks):
    mine = make_user("partner", partner=partner)
    client.force_login(mine)
    page = client.get("/partners/businesses/?waiting=1").content.decode()
    assert "江城小龙虾" in page and "1 件投诉等待商户认领账号" in page and "邀请已发送 1 次" in page
    remind = f"/partners/businesses/{waiting['shop'].pk}/remind/"
    too_soon = client.post(remind, follow=True).content.decode()
    assert "邀请刚刚发送过，24小时后可再次提醒" in too_soon
    traveller.shift(claims.REMIND_GAP)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(remind, follow=True).content.decode()
    assert "已再次向“江城小龙虾”发送认领邀请" in done and "邀请已发送 2 次" in done
    assert [m.to for m in sms if m.kind == "claim"] == [PHONE, PHONE]


def test_another_partner_cannot_see_or_remind_the_merchant(client, waiting, make_user):
    from hejie.partners.models import Partner

    other = Partner.objects.create(name="别的平台", kind="platform", region_id="420000", status="active",
                                   onboard_status="active")
    client.force_login(make_user("partner", partner=other))
    assert "江城小龙虾" not in client.get("/partners/businesses/?waiting=1").content.decode()
    assert client.post(f"/partners/businesses/{waiting['shop'].pk}/remind/").status_code == 404
    assert ClaimInvitation.objects.get().sends == 1
    client.force_login(make_user("business", business=waiting["shop"]))  # not a partner at all
    assert client.post(f"/partners/businesses/{waiting['shop'].pk}/remind/").status_code == 404


def test_the_council_queue_shows_why_and_how_long_an_order_has_waited(client, waiting, council, traveller):
    traveller.shift(dt.timedelta(days=2, hours=3))
    client.force_login(council)
    page = client.get("/council/orders/?queue=review").content.decode()
    assert waiting["order"].number in page
    assert "商家还没有可登录的账号，已邀请认领（已等待 2 天 3 小时）" in page
    detail = client.get(f"/council/orders/{waiting['order'].pk}/").content.decode()
    assert "商家还没有可登录的账号，已邀请认领" in detail


def test_the_council_order_page_shows_the_invitation_and_can_send_it_again(
        client, waiting, council, traveller, sms, django_capture_on_commit_callbacks, make_user):
    client.force_login(council)
    path = f"/council/orders/{waiting['order'].pk}/"
    page = client.get(path).content.decode()
    assert 'id="invitation"' in page and "已发送 1 次" in page and "139****5678" in page and PHONE not in page
    with django_capture_on_commit_callbacks(execute=True):
        too_soon = client.post(path + "invite/")
    assert too_soon.status_code == 429 and "小时后可再次提醒" in too_soon.content.decode()
    traveller.shift(claims.REMIND_GAP)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(path + "invite/", follow=True)
    assert "已再次发送认领邀请" in sent.content.decode() and ClaimInvitation.objects.get().sends == 2
    # a wrong number is corrected and the invitation goes there at once, without the wait
    bad = client.post(path + "invite-contact/", {"invite_phone": "027-1234567", "invite_email": ""})
    assert bad.status_code == 422 and 'id="invite_phone-error"' in bad.content.decode()
    assert 'value="027-1234567"' in bad.content.decode()  # what was typed is kept
    with django_capture_on_commit_callbacks(execute=True):
        fixed = client.post(path + "invite-contact/", {"invite_phone": "13655556666", "invite_email": ""},
                            follow=True)
    assert "联系方式已更正" in fixed.content.decode() and sms[-1].to == "13655556666"
    # a council elsewhere cannot see the order, nor send or redirect its invitation
    client.force_login(make_user("council", region="420500"))
    assert client.get(path).status_code == 404
    assert client.post(path + "invite/").status_code == 404
    assert client.post(path + "invite-contact/", {"invite_phone": "13700000000"}).status_code == 404
    assert ClaimInvitation.objects.get().phone == "13655556666"


def test_an_invited_business_gives_its_name_credit_code_and_industry_when_it_claims(
        zh, consumer, traveller, sms, django_capture_on_commit_callbacks):
    from hejie.businesses.models import Business
    from tests.conftest import make_credit_code

    with django_capture_on_commit_callbacks(execute=True):
        order = services.complaint_submit(consumer=consumer, business_name="巷口烧烤", region_code="420106",
                                          business_phone=PHONE, **FILING)
    token = re.search(r"/claim/([^/\s]+)/", next(m for m in sms if m.kind == "claim").body).group(1)
    page = zh.get(f"/claim/{token}/").content.decode()
    assert "由消费者投诉时提名" in page and 'value="巷口烧烤"' in page and 'name="industry"' in page
    with django_capture_on_commit_callbacks(execute=True):
        zh.post(f"/claim/{token}/", {"send_code": "1"})
    form = {"phone_code": last_code(sms), "credit_code": "", "username": "bbq", "password": "a-long-Passw0rd!",
            "name": "", "industry": ""}
    refused = zh.post(f"/claim/{token}/", form)
    body = refused.content.decode()
    assert refused.status_code == 422
    assert 'id="name-error"' in body and 'id="industry-error"' in body and 'id="credit_code-error"' in body
    code = make_credit_code(region="420106")
    done = zh.post(f"/claim/{token}/", {**form, "credit_code": code, "name": "武汉巷口烧烤店", "industry": "catering"},
                   follow=True)
    assert "认领成功。1 件投诉已送达" in done.content.decode()
    business = Business.objects.get(pk=order.business_id)
    assert (business.status, business.credit_code, business.name) == ("active", code, "武汉巷口烧烤店")
    assert Complaint.objects.get(pk=order.pk).state == "delivered"
