"""The Alibaba Cloud SMS adapter against a local server that speaks Alibaba's RPC API
(tests/fakes/aliyun_sms.py): the real adapter and the HTTP stack run, and the fake recomputes
the HMAC-SHA1 signature and checks the request as Alibaba would."""

from __future__ import annotations

import json
import socket

import pytest

from hejie.accounts.services import otp_send, otp_verify
from hejie.core import clock
from hejie.notifications.backends import OutboundMessage, Permanent, Retryable, Unknown
from hejie.notifications.channels.aliyun_sms import AliyunSms, signature
from hejie.notifications.models import Delivery
from hejie.notifications.services import BACKOFF, deliver_due, deliver_one, notify, send_direct

S = Delivery.Status


def _message(**extra):
    data = {"channel": "sms", "to": "13800138000", "title": "新投诉 HB1", "kind": "notice",
            "params": {"title": "新投诉 HB1"}, "key": "hejie-7"}
    data.update(extra)
    return OutboundMessage(**data)


def test_the_signature_is_the_documented_one():
    """Alibaba's worked example of the RPC signature (DescribeRegions, secret ``testsecret``)."""
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
              "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    assert signature(params, "testsecret", method="GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_a_message_is_sent_signed_and_its_biz_id_comes_back(aliyun_sms):
    sent = AliyunSms().send(_message())
    assert (sent.provider, sent.provider_id) == ("aliyun", "9006197469364984001^0")
    [request] = aliyun_sms.requests
    assert request["accepted"], request.get("error")
    params = request["params"]
    assert {k: params[k] for k in ("Action", "Version", "AccessKeyId", "PhoneNumbers", "SignName", "TemplateCode",
                                   "OutId", "RegionId")} == {
        "Action": "SendSms", "Version": "2017-05-25", "AccessKeyId": "LTAItest0000", "PhoneNumbers": "13800138000",
        "SignName": "和解平台", "TemplateCode": "SMS_1002", "OutId": "hejie-7", "RegionId": "cn-hangzhou"}
    assert json.loads(params["TemplateParam"]) == {"title": "新投诉 HB1"}


def test_a_wrong_secret_does_not_match_the_signature(aliyun_sms, settings):
    settings.HEJIE_ALIYUN_SMS = {**settings.HEJIE_ALIYUN_SMS, "access_key_secret": "not-the-secret"}
    with pytest.raises(Permanent) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == "SignatureDoesNotMatch"
    assert aliyun_sms.sent == []


def test_an_unknown_access_key_is_permanent(aliyun_sms, settings):
    settings.HEJIE_ALIYUN_SMS = {**settings.HEJIE_ALIYUN_SMS, "access_key_id": "LTAIother"}
    with pytest.raises(Permanent) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == "InvalidAccessKeyId.NotFound"


def test_a_code_goes_by_name_with_any_mainland_form_of_the_number(aliyun_sms):
    AliyunSms().send(_message(to="+86 138 0013 8000", kind="otp", params={"code": "012345", "minutes": "5"}))
    params = aliyun_sms.sent[0]
    assert (params["TemplateCode"], params["PhoneNumbers"]) == ("SMS_1001", "13800138000")
    assert json.loads(params["TemplateParam"]) == {"code": "012345", "minutes": "5"}


@pytest.mark.parametrize(("outcome", "code"), [("throttled", "isv.BUSINESS_LIMIT_CONTROL"), ("5xx", "InternalError")])
def test_flow_control_and_server_errors_are_retryable(aliyun_sms, outcome, code):
    aliyun_sms.script = [outcome]
    with pytest.raises(Retryable) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == code


@pytest.mark.parametrize(("outcome", "code"), [
    ("bad_template", "isv.SMS_TEMPLATE_ILLEGAL"),
    ("bad_number", "isv.MOBILE_NUMBER_ILLEGAL"),
])
def test_an_invalid_template_or_number_is_permanent(aliyun_sms, outcome, code):
    aliyun_sms.script = [outcome]
    with pytest.raises(Permanent) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == code


def test_a_missing_template_variable_and_a_wrong_signature_name_are_permanent(aliyun_sms, settings):
    with pytest.raises(Permanent) as caught:
        AliyunSms().send(_message(params={"subject": "x"}))
    assert caught.value.code == "isv.TEMPLATE_MISSING_PARAMETERS"
    settings.HEJIE_SMS_SIGN_NAME = "别的签名"
    with pytest.raises(Permanent) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == "isv.SMS_SIGNATURE_ILLEGAL"


def test_a_kind_without_a_template_is_permanent_and_nothing_is_sent(aliyun_sms, settings):
    settings.HEJIE_SMS_TEMPLATES = {"notice": "SMS_1002"}
    with pytest.raises(Permanent) as caught:
        AliyunSms().send(_message(kind="claim", params={"name": "x"}))
    assert caught.value.code == "no_template"
    assert aliyun_sms.requests == []


def test_no_answer_in_time_is_unknown(aliyun_sms, settings):
    settings.HEJIE_CHANNEL_TIMEOUT = 0.3
    aliyun_sms.script = ["slow"]
    with pytest.raises(Unknown) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == "timeout"


def test_a_gateway_error_page_is_unknown(aliyun_sms):
    aliyun_sms.script = ["gateway"]
    with pytest.raises(Unknown) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == "http_502"


def test_a_refused_connection_is_retryable(aliyun_sms, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.HEJIE_ALIYUN_SMS = {**settings.HEJIE_ALIYUN_SMS, "endpoint": f"http://127.0.0.1:{port}/"}
    with pytest.raises(Retryable) as caught:
        AliyunSms().send(_message())
    assert caught.value.code == "connect_error"


# --- through the pipeline -------------------------------------------------------------------


@pytest.fixture
def on_duty(make_user, business):
    return make_user("business", business=business, mobile="13900139000", mobile_verified_at=clock.now())


def test_a_notice_s_sms_ends_sent_with_the_biz_id(aliyun_sms, on_duty, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[on_duty], event="urge", title="催办 HB1", body="请尽快处理")
    row = Delivery.objects.get(channel="sms")
    assert (row.status, row.provider, row.provider_id) == (S.SENT, "aliyun", "9006197469364984001^0")
    params = aliyun_sms.sent[0]
    assert (params["TemplateCode"], params["OutId"], params["PhoneNumbers"]) == (
        "SMS_1002", f"hejie-{row.pk}", "13900139000")


def test_a_throttled_message_is_retried_after_its_backoff_and_sent_once(aliyun_sms, consumer, traveller):
    aliyun_sms.script = ["throttled"]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="进展", params={"title": "进展"})
    assert deliver_one(row.pk) == S.QUEUED
    row.refresh_from_db()
    assert (row.attempts, row.error_code) == (1, "isv.BUSINESS_LIMIT_CONTROL")
    traveller.shift(BACKOFF[0])
    assert deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_id) == (S.SENT, 2, "9006197469364984001^0")
    assert deliver_due() == 0
    assert len(aliyun_sms.sent) == 1 and len(aliyun_sms.requests) == 2


def test_a_permanent_failure_fails_the_row_with_the_error_code(aliyun_sms, consumer, traveller):
    aliyun_sms.script = ["bad_template"]
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="进展", params={"title": "进展"})
    assert deliver_one(row.pk) == S.FAILED
    row.refresh_from_db()
    assert row.error_code == "isv.SMS_TEMPLATE_ILLEGAL"
    traveller.shift(BACKOFF[-1] * 2)
    assert deliver_due() == 0 and len(aliyun_sms.requests) == 1


def test_a_sign_in_code_reaches_alibaba_as_the_template_parameter(aliyun_sms, consumer,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        otp_send(phone=consumer.phone)
    [params] = aliyun_sms.sent
    values = json.loads(params["TemplateParam"])
    assert (params["TemplateCode"], values["minutes"], len(values["code"])) == ("SMS_1001", "5", 6)
    assert otp_verify(phone=consumer.phone, code=values["code"]) == consumer
