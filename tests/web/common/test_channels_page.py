"""The page where each person chooses where their messages go (/account/channels/), from the side
of the staff member who sets it up and of those who must be refused."""

from __future__ import annotations

import pytest

from hejie.accounts.models import User
from hejie.notifications.models import ChannelSettings, Delivery
from hejie.notifications.services import notify
from tests.conftest import last_code

URL = "/account/channels/"


@pytest.fixture
def shop(client, staff):
    client.force_login(staff)
    return client


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/signin/" in response["Location"]


def test_staff_confirm_their_mobile_by_code(zh, shop, staff, sms, django_capture_on_commit_callbacks):
    page = shop.get(URL).content.decode()
    assert "尚未确认手机号" in page and "免打扰不会暂停处理时限" in page
    with django_capture_on_commit_callbacks(execute=True):
        sent = shop.post(URL, {"action": "send_code", "mobile": "139 0013 9000"})
    assert sent.status_code == 200 and "139****9000" in sent.content.decode()
    assert sms[-1].to == "13900139000" and sms[-1].kind == "otp"
    wrong = shop.post(URL, {"action": "confirm_mobile", "mobile": "13900139000", "phone_code": "000000"})
    assert wrong.status_code == 422 and 'id="phone_code-error"' in wrong.content.decode()
    assert User.objects.get(pk=staff.pk).mobile_verified_at is None
    done = shop.post(URL, {"action": "confirm_mobile", "mobile": "13900139000", "phone_code": last_code(sms)})
    assert done.status_code == 302
    staff.refresh_from_db()
    assert staff.mobile == "13900139000" and staff.sms_number == "13900139000"
    assert "已确认：13900139000" in shop.get(URL).content.decode()


def test_the_new_order_sms_reaches_the_confirmed_mobile(shop, staff, sms, file_complaint,
                                                        django_capture_on_commit_callbacks):
    staff.mobile, staff.mobile_verified_at = "13900139000", staff.date_joined
    staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        order = file_complaint()
    [message] = [m for m in sms if m.to == "13900139000"]
    assert message.kind == "new_order" and order.number in message.title
    page = shop.get(URL).content.decode()
    assert order.number in page and "已发送" in page  # the page lists what was sent


def test_choices_and_quiet_hours_are_saved(zh, shop, staff):
    response = shop.post(URL, {"action": "choices", "kind-new_order": ["sms", "email"], "kind-urge": ["sms"],
                               "quiet_hours": "on", "quiet_start": "23:00", "quiet_end": "07:30"})
    assert response.status_code == 302
    row = ChannelSettings.objects.get(user=staff)
    assert row.choices["new_order"] == ["sms", "email"] and row.choices["lists"] == []
    assert (row.quiet_start.isoformat(), row.quiet_end.isoformat()) == ("23:00:00", "07:30:00")
    page = shop.get(URL).content.decode()
    assert 'name="kind-new_order" value="sms" aria-label="新投诉：短信" checked' in page
    assert 'name="kind-lists" value="sms" aria-label="黑名单、红名单通知及决定：短信">' in page


@pytest.mark.parametrize("data, field", [
    ({"kind-new_order": ["fax"]}, "未知的渠道"),
    ({"kind-deleted_kind": ["sms"]}, None),  # kinds not offered are not read at all
    ({"quiet_hours": "on", "quiet_start": "25:00", "quiet_end": "08:00"}, "请填写时间"),
    ({"quiet_hours": "on", "quiet_start": "08:00", "quiet_end": "08:00"}, "不能相同"),
])
def test_bad_choices_are_refused_clearly(zh, shop, staff, data, field):
    response = shop.post(URL, {"action": "choices", "quiet_start": "22:00", "quiet_end": "08:00", **data})
    if field is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 422 and field in response.content.decode()
        assert not ChannelSettings.objects.exists()


def test_business_staff_go_off_duty_and_set_an_email(shop, staff):
    assert shop.post(URL, {"action": "contact", "email": "duty@example.com"}).status_code == 302
    staff.refresh_from_db()
    assert staff.email == "duty@example.com" and staff.on_duty is False  # the box was left unticked
    bad = shop.post(URL, {"action": "contact", "email": "not-an-address", "on_duty": "on"})
    assert bad.status_code == 422 and "邮箱地址格式不正确" in bad.content.decode()


def test_consumers_choose_kinds_but_have_no_staff_sections(client, consumer):
    client.force_login(consumer)
    page = client.get(URL).content.decode()
    assert "接收短信的手机号" not in page and 'name="kind-offer"' in page and 'name="kind-new_order"' not in page
    for action in ("send_code", "confirm_mobile", "remove_mobile", "contact"):
        assert client.post(URL, {"action": action, "mobile": "13900139000"}).status_code == 404
    # a consumer cannot choose a staff kind either: it is not offered, so it is not read
    assert client.post(URL, {"action": "choices", "kind-new_order": ["sms"], "quiet_start": "22:00",
                             "quiet_end": "08:00"}).status_code == 302
    assert "new_order" not in ChannelSettings.objects.get(user=consumer).choices


def test_one_person_s_deliveries_are_not_shown_to_another(client, make_user, business, staff,
                                                          django_capture_on_commit_callbacks):
    other = make_user("business", business=business, email="other@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[other], event="staff_invited", title="只给另一位员工的消息")
    assert Delivery.objects.filter(user=other).exists()
    client.force_login(staff)
    assert "只给另一位员工的消息" not in client.get(URL).content.decode()


def test_the_page_speaks_english(en, staff):
    en.force_login(staff)
    page = en.get(URL).content.decode()
    assert "Notification settings" in page and "New complaint" in page and "Quiet hours" in page
