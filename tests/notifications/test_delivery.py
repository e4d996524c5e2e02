"""The delivery of outgoing messages (hejie.notifications.services): once per row, retries with
backoff, the WeChat -> SMS fallback, quiet hours at their exact edges, the rate limit, reports,
the operator's resend, and each person's channel choices.

The provider here is a scripted backend (it answers what the test tells it): these tests are
about the pipeline's rules. The adapters themselves are tested against local servers that speak
each provider's protocol (test_tencent_sms.py, test_aliyun_sms.py, test_wechat.py, test_email.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.core import clock
from hejie.notifications import kinds
from hejie.notifications.backends import OutboundMessage, Permanent, Report, Retryable, Sent, Unknown
from hejie.notifications.models import ChannelSettings, Delivery
from hejie.notifications.services import (
    BACKOFF,
    MAX_ATTEMPTS,
    STALE_SENDING,
    deliver_due,
    deliver_one,
    delivery_reports,
    delivery_resend,
    notify,
    send_direct,
)

SCRIPTED = "tests.notifications.test_delivery.Scripted"
S = Delivery.Status


class Scripted:
    """Answers each send with the next scripted outcome (an exception to raise, or None: sent)."""

    script: list[Exception | None] = []
    sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> Sent:
        outcome = Scripted.script.pop(0) if Scripted.script else None
        if outcome is not None:
            raise outcome
        Scripted.sent.append(message)
        return Sent(provider="scripted", provider_id=f"p{len(Scripted.sent)}")


@pytest.fixture
def scripted(settings):
    settings.HEJIE_NOTIFICATION_BACKENDS = {c: SCRIPTED for c in kinds.CHANNELS}
    Scripted.script, Scripted.sent = [], []
    yield Scripted
    Scripted.script, Scripted.sent = [], []


@pytest.fixture
def shop_staff(make_user, business):
    return make_user("business", business=business, mobile="13900139000", mobile_verified_at=clock.now(),
                     email="shop@example.com")


def _tell(user, event="delivered", title="新投诉 HB1", capture=None):
    with capture(execute=True):
        notify(users=[user], event=event, title=title, body="请尽快处理")


def test_a_new_order_goes_by_sms_and_email_to_on_duty_staff(scripted, shop_staff, django_capture_on_commit_callbacks):
    _tell(shop_staff, capture=django_capture_on_commit_callbacks)
    assert sorted((m.channel, m.to) for m in scripted.sent) == [("email", "shop@example.com"), ("sms", "13900139000")]
    sms = Delivery.objects.get(channel="sms")
    assert (sms.status, sms.attempts, sms.provider, sms.kind) == (S.SENT, 1, "scripted", "new_order")
    assert sms.provider_id in {"p1", "p2"} and sms.sent_at is not None
    assert sms.notification.user == shop_staff


def test_staff_off_duty_get_new_orders_by_email_only(scripted, shop_staff, django_capture_on_commit_callbacks):
    shop_staff.on_duty = False
    shop_staff.save()
    _tell(shop_staff, capture=django_capture_on_commit_callbacks)
    assert [m.channel for m in scripted.sent] == ["email"]


def test_an_unconfirmed_mobile_gets_nothing(scripted, make_user, business, django_capture_on_commit_callbacks):
    staff = make_user("business", business=business, mobile="13900139000")  # never confirmed by code
    _tell(staff, capture=django_capture_on_commit_callbacks)
    assert scripted.sent == [] and not Delivery.objects.exists()


def test_a_person_s_choices_replace_the_defaults(scripted, shop_staff, django_capture_on_commit_callbacks):
    ChannelSettings.objects.create(user=shop_staff, choices={"new_order": ["email"], "urge": []})
    _tell(shop_staff, capture=django_capture_on_commit_callbacks)
    _tell(shop_staff, event="urge", capture=django_capture_on_commit_callbacks)
    assert [(m.channel, m.kind) for m in scripted.sent] == [("email", "new_order")]


def test_wechat_stands_in_for_sms_and_sms_is_its_fallback(scripted, shop_staff, django_capture_on_commit_callbacks):
    shop_staff.wechat_openid = "o-shop"
    shop_staff.save()
    scripted.script = [Permanent("user not subscribed", code="43004")]  # WeChat refuses; SMS then goes
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[shop_staff], event="urge", title="消委催办 HB1")
    # the fallback's callback, registered while the first ran, runs in the same capture
    wechat = Delivery.objects.get(channel="wechat")
    assert (wechat.status, wechat.error_code) == (S.FAILED, "43004")
    fallback = Delivery.objects.get(fallback_of=wechat)
    assert fallback.channel == "sms" and fallback.to == "13900139000"
    assert Delivery.objects.get(pk=fallback.pk).status == S.SENT
    assert [(m.channel, m.to) for m in scripted.sent if m.channel != "email"] == [("sms", "13900139000")]


def test_one_row_is_sent_once_however_often_it_is_handed_over(scripted, consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="proposal", title="商户提出和解方案")
    [row] = Delivery.objects.all()
    assert deliver_one(row.pk) == S.SENT  # a redelivered task, a second worker: nothing more is sent
    assert deliver_one(row.pk) == S.SENT
    assert len(scripted.sent) == 1 and Delivery.objects.get().attempts == 1


def test_a_row_left_sending_by_a_dead_worker_is_never_sent_again(scripted, consumer, traveller):
    notify(users=[consumer], event="proposal", title="t")  # callbacks not run: the process "died"
    [row] = Delivery.objects.all()
    Delivery.objects.filter(pk=row.pk).update(status=S.SENDING, claimed_at=clock.now(), attempts=1)
    traveller.shift(STALE_SENDING)
    deliver_due()
    assert Delivery.objects.get().status == S.SENDING  # not yet stale: exactly at the limit
    traveller.shift(dt.timedelta(seconds=1))
    deliver_due()
    row.refresh_from_db()
    assert row.status == S.UNKNOWN and "may or may not" in row.last_error
    assert scripted.sent == []


def test_retryable_errors_back_off_then_fail(scripted, consumer, traveller):
    scripted.script = [Retryable("throttled", code="LimitExceeded")] * MAX_ATTEMPTS
    start = clock.now()
    traveller.move_to(start)
    send = send_direct(channel="sms", to=consumer.phone, kind="notice", title="t")
    assert deliver_one(send.pk) == S.QUEUED
    for wait in BACKOFF:
        row = Delivery.objects.get()
        assert row.not_before == clock.now() + wait
        traveller.shift(wait - dt.timedelta(seconds=1))
        assert deliver_due() == 0  # one second early: not due
        traveller.shift(dt.timedelta(seconds=1))
        assert deliver_due() == 1
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.error_code) == (S.FAILED, MAX_ATTEMPTS, "LimitExceeded")
    assert scripted.sent == []


def test_a_retry_that_succeeds_is_sent_once(scripted, consumer, traveller):
    scripted.script = [Retryable("HTTP 500")]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="t")
    deliver_one(row.pk)
    traveller.shift(BACKOFF[0])
    deliver_due()
    row.refresh_from_db()
    assert (row.status, row.attempts, len(scripted.sent)) == (S.SENT, 2, 1)


@pytest.mark.parametrize("error, status", [(Permanent("bad number"), S.FAILED), (Unknown("timeout"), S.UNKNOWN),
                                           (RuntimeError("library bug"), S.UNKNOWN)])
def test_no_retry_on_permanent_or_unknown_errors(scripted, consumer, traveller, error, status):
    scripted.script = [error]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="t")
    assert deliver_one(row.pk) == status
    traveller.shift(dt.timedelta(days=1))
    assert deliver_due() == 0


def test_quiet_hours_hold_sms_until_they_end_but_not_codes(scripted, settings, consumer, traveller,
                                                           django_capture_on_commit_callbacks):
    settings.HEJIE_QUIET_HOURS = "22:00-08:00"
    night = dt.datetime(2026, 3, 15, 22, 0, tzinfo=clock.SHANGHAI)  # the first second of the quiet hours
    traveller.move_to(night)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="proposal", title="方案")
        send_direct(channel="sms", to=consumer.phone, kind="otp", title="code", params={"code": "123456"})
    assert [m.kind for m in scripted.sent] == ["otp"]
    held = Delivery.objects.get(kind="offer")
    assert held.status == S.HELD and held.not_before == night.replace(day=16, hour=8)
    traveller.shift(dt.timedelta(hours=10) - dt.timedelta(seconds=1))  # 07:59:59
    assert deliver_due() == 0
    traveller.shift(dt.timedelta(seconds=1))  # 08:00:00
    assert deliver_due() == 1
    assert [m.kind for m in scripted.sent] == ["otp", "offer"]


def test_just_before_quiet_hours_sms_go_at_once(scripted, settings, consumer, traveller,
                                                django_capture_on_commit_callbacks):
    settings.HEJIE_QUIET_HOURS = "22:00-08:00"
    traveller.move_to(dt.datetime(2026, 3, 15, 21, 59, 59, tzinfo=clock.SHANGHAI))
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="proposal", title="方案")
    assert len(scripted.sent) == 1


def test_a_person_may_turn_quiet_hours_off(scripted, settings, consumer, traveller,
                                          django_capture_on_commit_callbacks):
    settings.HEJIE_QUIET_HOURS = "22:00-08:00"
    ChannelSettings.objects.create(user=consumer, quiet_hours=False)
    traveller.move_to(dt.datetime(2026, 3, 15, 23, 30, tzinfo=clock.SHANGHAI))
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="proposal", title="方案")
    assert len(scripted.sent) == 1


def test_sms_to_one_number_are_limited_per_hour(scripted, settings, consumer, traveller):
    settings.HEJIE_SMS_PER_HOUR = 2
    rows = [send_direct(channel="sms", to=consumer.phone, kind="notice", title=f"t{i}") for i in range(3)]
    code = send_direct(channel="sms", to=consumer.phone, kind="otp", title="c", params={"code": "111111"})
    assert [deliver_one(r.pk) for r in [*rows, code]] == [S.SENT, S.SENT, S.LIMITED, S.SENT]
    traveller.shift(dt.timedelta(hours=1))
    later = send_direct(channel="sms", to=consumer.phone, kind="notice", title="t4")
    assert deliver_one(later.pk) == S.SENT


def test_a_code_is_not_kept_once_sent(scripted, consumer, traveller):
    row = send_direct(channel="sms", to=consumer.phone, kind="otp", title="登录验证码",
                      body="验证码 654321，5分钟内有效", params={"code": "654321", "minutes": "5"})
    deliver_one(row.pk)
    row.refresh_from_db()
    assert scripted.sent[0].params["code"] == "654321"
    assert "654321" not in row.body + str(row.params) and row.params["code"] == "******"


def test_provider_reports_mark_rows_delivered_or_failed(scripted, consumer, traveller):
    a = send_direct(channel="sms", to=consumer.phone, kind="notice", title="a")
    b = send_direct(channel="sms", to=consumer.phone, kind="notice", title="b")
    deliver_one(a.pk), deliver_one(b.pk)
    n = delivery_reports(provider="scripted", reports=[Report("p1", True), Report("p2", False, "blacklisted number"),
                                                       Report("nobody", True)])
    a.refresh_from_db(), b.refresh_from_db()
    assert n == 2 and (a.status, b.status) == (S.DELIVERED, S.FAILED) and b.last_error == "blacklisted number"
    assert a.reported_at is not None


def test_the_operator_resends_a_failed_message_as_a_new_row(scripted, consumer, traveller,
                                                           django_capture_on_commit_callbacks):
    scripted.script = [Permanent("provider account out of credit")]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="t")
    deliver_one(row.pk)
    with django_capture_on_commit_callbacks(execute=True):
        again = delivery_resend(delivery=Delivery.objects.get(pk=row.pk))
    again.refresh_from_db()
    assert again.resent_from_id == row.pk and again.status == S.SENT and len(scripted.sent) == 1
    with pytest.raises(ValueError, match="only a failed"):
        delivery_resend(delivery=again)  # a sent one is not sent twice by hand either


def test_a_code_is_never_resent_by_the_operator(scripted, consumer):
    scripted.script = [Permanent("bad number")]
    row = send_direct(channel="sms", to=consumer.phone, kind="otp", title="t", params={"code": "123456"})
    deliver_one(row.pk)
    with pytest.raises(ValueError, match="new one"):
        delivery_resend(delivery=Delivery.objects.get(pk=row.pk))


def test_resend_in_the_admin(admin_client, scripted, consumer, django_capture_on_commit_callbacks):
    scripted.script = [Permanent("bad template", code="40037")]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="t")
    deliver_one(row.pk)
    page = admin_client.get("/admin/notifications/delivery/?status__exact=failed")
    assert page.status_code == 200 and "40037" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post("/admin/notifications/delivery/",
                                 {"action": "resend", "_selected_action": [row.pk]}, follow=True)
    assert done.status_code == 200
    assert Delivery.objects.filter(resent_from=row, status=S.SENT).count() == 1
