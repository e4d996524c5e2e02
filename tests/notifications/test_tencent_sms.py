"""The Tencent Cloud SMS adapter against a local server that speaks Tencent's protocol
(tests/fakes/tencent_sms.py): the real adapter, Tencent's SDK and the HTTP stack all run, and
the fake checks the TC3 signature and the request as Tencent would."""

from __future__ import annotations

import socket

import pytest

from hejie.accounts.services import otp_send, otp_verify
from hejie.core import clock
from hejie.notifications.backends import OutboundMessage, Permanent, Retryable, Unknown
from hejie.notifications.channels.tencent_sms import TencentSms
from hejie.notifications.models import Delivery
from hejie.notifications.services import BACKOFF, deliver_due, deliver_one, notify, send_direct

S = Delivery.Status


def _message(**extra):
    data = {"channel": "sms", "to": "13800138000", "title": "新投诉 HB1", "kind": "notice",
            "params": {"title": "新投诉 HB1"}, "key": "hejie-7"}
    data.update(extra)
    return OutboundMessage(**data)


def test_a_message_is_sent_signed_and_its_serial_number_comes_back(tencent_sms):
    sent = TencentSms().send(_message())
    assert (sent.provider, sent.provider_id) == ("tencent", "2433:000001")
    [request] = tencent_sms.requests
    assert request["accepted"], request.get("error")
    headers = request["headers"]
    assert (headers["X-TC-Action"], headers["X-TC-Version"]) == ("SendSms", "2021-01-11")
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest0000/")
    assert request["body"] == {
        "PhoneNumberSet": ["+8613800138000"], "SmsSdkAppId": "1400000001", "TemplateId": "1002",
        "SignName": "和解平台", "TemplateParamSet": ["新投诉 HB1"], "SessionContext": "hejie-7",
    }


def test_a_wrong_secret_is_refused_by_the_signature_check(tencent_sms, settings):
    settings.HEJIE_TENCENT_SMS = {**settings.HEJIE_TENCENT_SMS, "secret_key": "not-the-secret"}
    with pytest.raises(Permanent) as caught:
        TencentSms().send(_message())
    assert caught.value.code == "AuthFailure.SignatureFailure"
    assert tencent_sms.sent == []


def test_params_go_in_order_and_numbers_in_any_mainland_form_as_e164(tencent_sms):
    TencentSms().send(_message(to="+86 138-0013-8000", kind="otp", params={"code": "012345", "minutes": "5"}))
    body = tencent_sms.sent[0]
    assert (body["TemplateId"], body["TemplateParamSet"], body["PhoneNumberSet"]) == (
        "1001", ["012345", "5"], ["+8613800138000"])


def test_long_free_text_is_cut_to_the_variable_limit(tencent_sms):
    TencentSms().send(_message(params={"title": "很长的标题" * 10}))
    assert tencent_sms.sent[0]["TemplateParamSet"] == [("很长的标题" * 10)[:20]]


def test_a_link_is_never_cut(tencent_sms):
    link = "https://hejie.example.cn/claim/" + "x" * 80 + "/"
    TencentSms().send(_message(params={"link": link}))
    assert tencent_sms.sent[0]["TemplateParamSet"] == [link]


@pytest.mark.parametrize(("outcome", "code"), [
    ("throttled", "LimitExceeded.PhoneNumberThirtySecondLimit"),
    ("request_limit", "RequestLimitExceeded"),
])
def test_throttling_is_retryable(tencent_sms, outcome, code):
    tencent_sms.script = [outcome]
    with pytest.raises(Retryable) as caught:
        TencentSms().send(_message())
    assert caught.value.code == code


@pytest.mark.parametrize(("outcome", "code"), [
    ("bad_template", "FailedOperation.TemplateIncorrectOrUnapproved"),
    ("bad_number", "InvalidParameterValue.IncorrectPhoneNumber"),
])
def test_an_invalid_template_or_number_is_permanent(tencent_sms, outcome, code):
    tencent_sms.script = [outcome]
    with pytest.raises(Permanent) as caught:
        TencentSms().send(_message())
    assert caught.value.code == code


def test_values_that_do_not_fit_the_template_are_permanent(tencent_sms):
    with pytest.raises(Permanent) as caught:
        TencentSms().send(_message(params={"title": "a", "extra": "b"}))
    assert caught.value.code == "InvalidParameterValue.TemplateParameterFormatError"


def test_a_kind_without_a_template_is_permanent_and_nothing_is_sent(tencent_sms, settings):
    settings.HEJIE_SMS_TEMPLATES = {"notice": "1002"}
    with pytest.raises(Permanent, match="no SMS template configured for messages of kind 'otp'"):
        TencentSms().send(_message(kind="otp", params={"code": "123456", "minutes": "5"}))
    assert tencent_sms.requests == []


def test_a_number_that_is_no_number_is_permanent(tencent_sms):
    with pytest.raises(Permanent):
        TencentSms().send(_message(to="12345"))
    assert tencent_sms.requests == []


def test_no_answer_in_time_is_unknown(tencent_sms, settings):
    settings.HEJIE_CHANNEL_TIMEOUT = 0.3
    tencent_sms.script = ["slow"]
    with pytest.raises(Unknown) as caught:
        TencentSms().send(_message())
    assert caught.value.code == "timeout"
    assert len(tencent_sms.requests) == 1  # it arrived: it may have been sent


def test_a_gateway_error_page_is_unknown(tencent_sms):
    tencent_sms.script = ["5xx"]
    with pytest.raises(Unknown):
        TencentSms().send(_message())


def test_a_refused_connection_is_retryable(tencent_sms, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.HEJIE_TENCENT_SMS = {**settings.HEJIE_TENCENT_SMS, "endpoint": f"127.0.0.1:{port}"}
    with pytest.raises(Retryable) as caught:
        TencentSms().send(_message())
    assert caught.value.code == "connect_error"


# --- through the pipeline -------------------------------------------------------------------


@pytest.fixture
def on_duty(make_user, business):
    return make_user("business", business=business, mobile="13900139000", mobile_verified_at=clock.now())


def test_a_notice_s_sms_ends_sent_with_the_serial_number(tencent_sms, on_duty, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[on_duty], event="delivered", title="新投诉 HB1", body="请尽快处理")
    row = Delivery.objects.get(channel="sms")
    assert (row.status, row.provider, row.provider_id) == (S.SENT, "tencent", "2433:000001")
    body = tencent_sms.sent[0]
    assert (body["TemplateId"], body["TemplateParamSet"], body["SessionContext"]) == (
        "1003", ["新投诉 HB1"], f"hejie-{row.pk}")


def test_a_throttled_message_is_retried_after_its_backoff_and_sent_once(tencent_sms, consumer, traveller):
    tencent_sms.script = ["throttled"]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="进展", params={"title": "进展"})
    assert deliver_one(row.pk) == S.QUEUED
    row.refresh_from_db()
    assert (row.attempts, row.error_code) == (1, "LimitExceeded.PhoneNumberThirtySecondLimit")
    assert deliver_due() == 0  # not before its backoff
    traveller.shift(BACKOFF[0])
    assert deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_id) == (S.SENT, 2, "2433:000002")
    assert deliver_due() == 0
    accepted = [s for r in tencent_sms.requests if r["accepted"] for s in [r["body"]]]
    assert len(accepted) == 2 and len(tencent_sms.requests) == 2


def test_a_permanent_failure_fails_the_row_with_the_error_code(tencent_sms, consumer, traveller):
    tencent_sms.script = ["bad_number"]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="进展", params={"title": "进展"})
    assert deliver_one(row.pk) == S.FAILED
    row.refresh_from_db()
    assert (row.error_code, row.attempts) == ("InvalidParameterValue.IncorrectPhoneNumber", 1)
    traveller.shift(BACKOFF[-1] * 2)
    assert deliver_due() == 0 and len(tencent_sms.requests) == 1


def test_a_sign_in_code_reaches_tencent_as_the_template_parameter(tencent_sms, consumer,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        otp_send(phone=consumer.phone)
    [body] = tencent_sms.sent
    assert (body["TemplateId"], body["PhoneNumberSet"]) == ("1001", ["+8613800138000"])
    code, minutes = body["TemplateParamSet"]
    assert minutes == "5" and len(code) == 6 and code.isdigit()
    row = Delivery.objects.get(kind="otp")
    assert (row.status, row.provider) == (S.SENT, "tencent") and code not in str(row.params)
    assert otp_verify(phone=consumer.phone, code=code) == consumer
