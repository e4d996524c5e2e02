"""End to end: the real services, pages and API, the real channel adapters talking HTTP to the
local fakes of the providers (tests/fakes), nothing of our own code stubbed.

A consumer files -> the business admin's phone gets the new-order SMS; a council urges -> SMS;
an imported merchant claims its account by the link and sees the waiting order, its clock
starting at the claim; a provider outage -> retries with backoff, the WeChat -> SMS fallback,
exactly one message delivered, the failure visible to the operator who resends it; one
delivery never sent twice, by a redelivered task or by two workers at once.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from urllib.parse import urlsplit

import pytest
from django.db import connection, connections

from hejie.complaints.models import Complaint
from hejie.core import clock
from hejie.notifications.models import Delivery
from hejie.notifications.services import BACKOFF, deliver_due, deliver_one
from hejie.notifications.tasks import deliver_task
from hejie.partners.models import Partner
from hejie.regions.models import Region
from tests.api.conftest import Api

S = Delivery.Status
REPORT_TOKEN = "e2e-report-token"
ADMIN_MOBILE, OFF_DUTY_MOBILE, MERCHANT_PHONE = "13900139000", "13700137000", "13600136000"
FILING = {"problem_type": "quality", "description": "买的热干面里有异物，要求退款。", "claim_type": "refund",
          "claim_amount": "38.00", "purchase_amount": "38.00"}


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def tencent(tencent_sms, settings):
    """The Tencent fake with an approved urge template (one variable) beside the conftest's."""
    tencent_sms.templates = {**tencent_sms.templates, "1004": 1}
    settings.HEJIE_SMS_TEMPLATES = {**settings.HEJIE_SMS_TEMPLATES, "urge": "1004"}
    settings.HEJIE_SMS_REPORT_TOKEN = REPORT_TOKEN
    return tencent_sms


@pytest.fixture
def aliyun(aliyun_sms, settings):
    """The Alibaba fake with approved urge and claim-invitation templates."""
    aliyun_sms.templates = {**aliyun_sms.templates, "SMS_1004": ["title"], "SMS_1005": ["name", "link"]}
    settings.HEJIE_SMS_TEMPLATES = {**settings.HEJIE_SMS_TEMPLATES, "urge": "SMS_1004", "claim": "SMS_1005"}
    return aliyun_sms


@pytest.fixture
def admin(make_user, business):
    """The business's admin: a verified mobile, on duty (the default)."""
    return make_user("business", business=business, is_business_admin=True, mobile=ADMIN_MOBILE,
                     mobile_verified_at=clock.now())


@pytest.fixture
def off_duty(make_user, business):
    return make_user("business", business=business, mobile=OFF_DUTY_MOBILE, mobile_verified_at=clock.now(),
                     on_duty=False)


def _to(fake, number, template=None):
    """The SendSms bodies the Tencent fake accepted for ``number`` (E.164), of ``template`` if given."""
    return [b for b in fake.sent if b["PhoneNumberSet"] == [number] and template in (None, b["TemplateId"])]


def _all_to(fake, number):
    """Every request that reached the Tencent fake for ``number``, accepted or not."""
    return [r for r in fake.requests if number in (r.get("body") or {}).get("PhoneNumberSet", [])]


def _file(api, consumer, business, capture):
    with capture(execute=True):
        answer = api.post("/complaints", {**FILING, "business_id": business.pk}, as_=consumer)
    assert answer.status_code == 201, answer.content
    return Complaint.objects.get(pk=answer.json()["id"])


def _urge(api, council, order, capture, note="请尽快处理"):
    with capture(execute=True):
        answer = api.post(f"/complaints/{order.pk}/urge", {"note": note}, as_=council)
    assert answer.status_code == 201, answer.content


# --- 1. a new order reaches the admin's phone -------------------------------------------------


def test_a_filed_complaint_sends_the_new_order_sms_to_the_admin_and_the_report_marks_it_delivered(
        api, client, tencent, consumer, business, admin, django_capture_on_commit_callbacks):
    order = _file(api, consumer, business, django_capture_on_commit_callbacks)
    assert order.state == "delivered"

    [body] = _to(tencent, "+86" + ADMIN_MOBILE)
    assert (body["TemplateId"], body["SignName"], body["SmsSdkAppId"]) == ("1003", "和解平台", "1400000001")
    assert body["TemplateParamSet"] == [f"新投诉 {order.number}"[:20]]
    [request] = [r for r in tencent.requests if r.get("body") is body]
    # signed: the fake recomputed the TC3-HMAC-SHA256 signature from the secret and accepted it
    assert request["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest0000/")
    assert request["accepted"] is True

    row = Delivery.objects.get(channel="sms", user=admin)
    assert (row.status, row.kind, row.provider, row.to) == (S.SENT, "new_order", "tencent", ADMIN_MOBILE)
    # the serial number the fake answered with (one per accepted number, in order)
    assert row.provider_id == f"2433:{tencent.sent.index(body) + 1:06d}"
    assert body["SessionContext"] == f"hejie-{row.pk}"

    report = [{"user_receive_time": "2026-03-15 10:00:05", "nationcode": "86", "mobile": ADMIN_MOBILE,
               "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功",
               "sid": row.provider_id}]
    answer = client.post(f"/hooks/sms/tencent/{REPORT_TOKEN}/", json.dumps(report), content_type="application/json")
    assert (answer.status_code, answer.json()) == (200, {"result": 0, "errmsg": "OK"})
    row.refresh_from_db()
    assert row.status == S.DELIVERED and row.reported_at is not None


# --- 2. an urge reaches the admin's phone, not the off-duty staff's -----------------------------


def test_a_council_urge_reaches_the_on_duty_admin_and_not_off_duty_staff(
        api, tencent, consumer, business, admin, off_duty, council, django_capture_on_commit_callbacks):
    order = _file(api, consumer, business, django_capture_on_commit_callbacks)
    _urge(api, council, order, django_capture_on_commit_callbacks, note="请今天内回复")

    [urge] = _to(tencent, "+86" + ADMIN_MOBILE, "1004")
    assert urge["TemplateParamSet"] == [f"消委催办 {order.number}"[:20]] and urge["SignName"] == "和解平台"
    assert len(_to(tencent, "+86" + ADMIN_MOBILE)) == 2  # the new order, then the urge
    row = Delivery.objects.get(user=admin, kind="urge")
    assert (row.channel, row.status, row.provider) == ("sms", S.SENT, "tencent")
    # the off-duty member has the notices in the app, and no SMS reached the provider for them
    assert _all_to(tencent, "+86" + OFF_DUTY_MOBILE) == []
    assert not Delivery.objects.filter(user=off_duty, channel="sms").exists()
    assert set(off_duty.notifications.values_list("event", flat=True)) == {"delivered", "urge"}


# --- 3. an imported merchant claims its account by the link ---------------------------------------


def _aliyun_to(fake, number, template):
    return [p for p in fake.sent if p["PhoneNumbers"] == number and p["TemplateCode"] == template]


def test_an_imported_merchant_claims_by_the_sms_link_and_its_clock_starts_at_the_claim(
        api, client, aliyun, consumer, make_business, traveller, django_capture_on_commit_callbacks):
    partner = Partner.objects.create(name="江城到家外卖平台", kind="platform", region=Region.objects.get(code="420000"),
                                     status="active", onboard_status="active")
    merchant = make_business("汉口老通城", partner=partner, contact_phone=MERCHANT_PHONE)
    order = _file(api, consumer, merchant, django_capture_on_commit_callbacks)
    assert (order.state, order.review_reason, order.respond_by) == ("pending_review", "awaiting_claim", None)

    [invitation] = _aliyun_to(aliyun, MERCHANT_PHONE, "SMS_1005")
    values = json.loads(invitation["TemplateParam"])
    assert values["name"] == "汉口老通城" and invitation["SignName"] == "和解平台"
    link = urlsplit(values["link"])
    assert link.path.startswith("/claim/")
    assert Delivery.objects.get(kind="claim").status == S.SENT

    traveller.shift(dt.timedelta(hours=5, minutes=17))  # the merchant opens the SMS later that day
    page = client.get(link.path)
    assert page.status_code == 200 and "汉口老通城" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(link.path, {"send_code": "1"})
    assert sent.status_code == 200
    [code_sms] = _aliyun_to(aliyun, MERCHANT_PHONE, "SMS_1001")
    code = json.loads(code_sms["TemplateParam"])["code"]
    assert len(code) == 6 and code.isdigit()

    traveller.shift(dt.timedelta(minutes=2))
    claimed_at = clock.now()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(link.path, {"phone_code": code, "credit_code": merchant.credit_code,
                                       "username": "laotongcheng", "password": "Hankou-1929-doupi",
                                       "display_name": "老通城店长"})
    assert done.status_code == 302, done.content.decode()[:2000]
    listing = client.get(done["Location"])
    assert listing.status_code == 200 and order.number in listing.content.decode()

    order.refresh_from_db()
    assert order.state == "delivered"
    assert (order.delivered_at, order.respond_by) == (claimed_at, claimed_at + dt.timedelta(hours=24))
    # the new admin's phone (confirmed by the claim code) now gets the order like any other
    assert len(_aliyun_to(aliyun, MERCHANT_PHONE, "SMS_1003")) == 1


# --- 4. outage, fallback, failure the operator sees and resends -------------------------------------


def test_a_provider_outage_is_retried_with_backoff_and_one_message_is_accepted(
        api, aliyun, consumer, business, admin, council, traveller, django_capture_on_commit_callbacks):
    order = _file(api, consumer, business, django_capture_on_commit_callbacks)
    aliyun.script = ["5xx", "throttled", "5xx"]
    _urge(api, council, order, django_capture_on_commit_callbacks)
    row = Delivery.objects.get(user=admin, kind="urge")
    assert (row.status, row.attempts, row.error_code) == (S.QUEUED, 1, "InternalError")

    for wait, code in zip(BACKOFF[:3], ["isv.BUSINESS_LIMIT_CONTROL", "InternalError", ""], strict=True):
        traveller.shift(wait - dt.timedelta(seconds=1))
        assert deliver_due() == 0  # not a second before its backoff ends
        traveller.shift(dt.timedelta(seconds=1))
        assert deliver_due() == 1
        row.refresh_from_db()
        assert row.error_code == code
    assert (row.status, row.attempts, row.provider) == (S.SENT, 4, "aliyun")
    traveller.shift(BACKOFF[-1] * 2)
    assert deliver_due() == 0

    urges = [r for r in aliyun.requests if r["params"].get("TemplateCode") == "SMS_1004"]
    assert len(urges) == 4 and [r["accepted"] for r in urges] == [False, False, False, True]
    assert {r["params"]["OutId"] for r in urges} == {f"hejie-{row.pk}"}  # one message, one key, each try
    assert {r["params"]["PhoneNumbers"] for r in urges} == {ADMIN_MOBILE}
    assert row.provider_id == f"9006197469364984{aliyun.biz:03d}^0"


def test_a_wechat_message_that_fails_for_good_goes_by_sms_once(
        api, tencent, wechat, consumer, business, admin, django_capture_on_commit_callbacks):
    consumer.wechat_openid = "o-unfollowed-1"
    consumer.save(update_fields=["wechat_openid"])
    wechat.template_error = 43004  # the consumer unfollowed the Official Account
    order = _file(api, consumer, business, django_capture_on_commit_callbacks)

    first = Delivery.objects.get(user=consumer, channel="wechat")
    assert (first.status, first.error_code, first.attempts) == (S.FAILED, "43004", 1)
    fallback = Delivery.objects.get(fallback_of=first)
    assert (fallback.channel, fallback.status, fallback.provider) == ("sms", S.SENT, "tencent")
    assert len(wechat.calls("/cgi-bin/message/template/send")) == 1 and wechat.sent == []
    [sms] = _to(tencent, "+8613800138000")
    assert sms["TemplateParamSet"] == [f"投诉已提交 {order.number}"[:20]]
    assert len(_all_to(tencent, "+8613800138000")) == 1


def test_a_permanent_failure_is_listed_for_the_operator_who_resends_it(
        api, admin_client, tencent, consumer, business, admin, council, django_capture_on_commit_callbacks):
    order = _file(api, consumer, business, django_capture_on_commit_callbacks)
    tencent.script = ["bad_template"]
    _urge(api, council, order, django_capture_on_commit_callbacks)
    failed = Delivery.objects.get(user=admin, kind="urge")
    assert (failed.status, failed.error_code, failed.attempts) == (
        S.FAILED, "FailedOperation.TemplateIncorrectOrUnapproved", 1)

    page = admin_client.get("/admin/notifications/delivery/?status__exact=failed")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"/admin/notifications/delivery/{failed.pk}/change/" in text
    assert "FailedOperation.TemplateIncorrectOrUnapproved" in text
    sent = Delivery.objects.get(user=admin, kind="new_order")
    assert f"/admin/notifications/delivery/{sent.pk}/change/" not in text  # only the failed are listed

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post("/admin/notifications/delivery/",
                                 {"action": "resend", "_selected_action": [failed.pk]}, follow=True)
    assert done.status_code == 200 and "1 message(s) queued again." in done.content.decode()
    again = Delivery.objects.get(resent_from=failed)
    assert (again.status, again.to, again.provider) == (S.SENT, ADMIN_MOBILE, "tencent")
    assert len(_to(tencent, "+86" + ADMIN_MOBILE, "1004")) == 1
    failed.refresh_from_db()
    assert failed.status == S.FAILED


# --- 5. never twice -------------------------------------------------------------------------------


def test_a_redelivered_task_sends_one_sms(api, tencent, consumer, business, admin,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api.post("/complaints", {**FILING, "business_id": business.pk}, as_=consumer)
    row = Delivery.objects.get(user=admin, channel="sms")
    assert row.status == S.QUEUED and callbacks and tencent.requests == []
    assert deliver_task([row.pk]) == 1
    assert deliver_task([row.pk]) == 1  # the broker hands the same task over again
    for callback in callbacks:  # ... and the after-commit dispatch runs too
        callback()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 1)
    assert len(_all_to(tencent, "+86" + ADMIN_MOBILE)) == 1


def test_two_workers_at_once_send_one_sms(reference_data, tencent, settings, traveller, make_user, make_business):
    if connection.vendor != "postgresql":
        pytest.skip("two connections writing at once need PostgreSQL (SQLite's test database is in memory)")
    settings.HEJIE_QUIET_HOURS = "09:00-11:00"  # 10:00 in Shanghai: the SMS is held until 11:00
    from hejie.complaints.services import complaint_submit

    shop = make_business()
    owner = make_user("business", business=shop, is_business_admin=True, mobile=ADMIN_MOBILE,
                      mobile_verified_at=clock.now())
    complaint_submit(consumer=make_user("consumer"), business_id=shop.pk, **FILING)
    row = Delivery.objects.get(user=owner, channel="sms")
    assert row.status == S.HELD and tencent.requests == []
    traveller.shift(dt.timedelta(hours=1))
    tencent.script, tencent.delay = ["slow"], 0.5  # the first is still talking to the provider

    start = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(deliver_one(row.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # one claimed and sent it; the other found it claimed (still sending, or sent by then)
    assert len(results) == 2 and S.SENT in results and set(results) <= {S.SENDING, S.SENT}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 1)
    assert len(_all_to(tencent, "+86" + ADMIN_MOBILE)) == 1


def test_the_sms_fallback_of_a_wechat_message_at_night_waits_for_the_end_of_quiet_hours(
        api, tencent, wechat, settings, consumer, business, staff, traveller, django_capture_on_commit_callbacks):
    settings.HEJIE_QUIET_HOURS = "22:00-08:00"
    traveller.move_to(dt.datetime(2026, 3, 15, 23, 30, tzinfo=clock.SHANGHAI))
    consumer.wechat_openid = "o-unfollowed-2"
    consumer.save(update_fields=["wechat_openid"])
    wechat.template_error = 43004
    _file(api, consumer, business, django_capture_on_commit_callbacks)

    first = Delivery.objects.get(user=consumer, channel="wechat")
    fallback = Delivery.objects.get(fallback_of=first)
    assert (first.status, fallback.channel, fallback.status) == (S.FAILED, "sms", S.HELD)
    assert fallback.not_before == dt.datetime(2026, 3, 16, 8, 0, tzinfo=clock.SHANGHAI)
    assert tencent.requests == []
    traveller.move_to(fallback.not_before - dt.timedelta(seconds=1))
    assert deliver_due() == 0
    traveller.move_to(fallback.not_before)
    assert deliver_due() == 1
    fallback.refresh_from_db()
    assert fallback.status == S.SENT and len(_all_to(tencent, "+8613800138000")) == 1
