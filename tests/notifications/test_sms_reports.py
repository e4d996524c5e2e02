"""The SMS providers' delivery reports: each provider's documented push format, and the hook at
/hooks/sms/<provider>/<token>/ that applies them, tested first from the side it must refuse."""

from __future__ import annotations

import json

import pytest

from hejie.notifications.backends import Report
from hejie.notifications.channels.reports import MalformedReport, parse_reports
from hejie.notifications.models import Delivery
from hejie.notifications.services import deliver_one, send_direct

S = Delivery.Status
TOKEN = "report-token-0123456789"


def _tencent(sid, status="SUCCESS", errmsg="DELIVRD", description="用户短信送达成功"):
    return {"user_receive_time": "2026-03-15 10:00:05", "nationcode": "86", "mobile": "13800138000",
            "report_status": status, "errmsg": errmsg, "description": description, "sid": sid}


def _aliyun(biz_id, success=True, err_code="DELIVERED", err_msg="用户接收成功", out_id="hejie-1"):
    return {"phone_number": "13800138000", "send_time": "2026-03-15 10:00:00", "report_time": "2026-03-15 10:00:05",
            "success": success, "err_code": err_code, "err_msg": err_msg, "sms_size": "1", "biz_id": biz_id,
            "out_id": out_id}


def _post(client, provider, body, token=TOKEN):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.post(f"/hooks/sms/{provider}/{token}/", data=data, content_type="application/json")


@pytest.fixture
def token(settings):
    settings.HEJIE_SMS_REPORT_TOKEN = TOKEN
    return TOKEN


def _sent(provider, provider_id, to="13800138000"):
    return Delivery.objects.create(channel="sms", to=to, kind="notice", event="notice", title="进展",
                                   status=S.SENT, provider=provider, provider_id=provider_id)


# --- the formats --------------------------------------------------------------------------------


def test_tencent_reports_are_read_as_documented():
    body = json.dumps([_tencent("2433:1"), _tencent("2433:2", "FAIL", "MK:0001", "空号")]).encode()
    assert parse_reports("tencent", body) == [
        Report(provider_id="2433:1", delivered=True, to="13800138000"),
        Report(provider_id="2433:2", delivered=False, error="MK:0001: 空号", to="13800138000"),
    ]


def test_aliyun_reports_are_read_as_documented():
    body = json.dumps([_aliyun("900^0"), _aliyun("901^0", False, "MK:0012", "号码停机")]).encode()
    assert parse_reports("aliyun", body) == [
        Report(provider_id="900^0", delivered=True, to="13800138000"),
        Report(provider_id="901^0", delivered=False, error="MK:0012: 号码停机", to="13800138000"),
    ]


@pytest.mark.parametrize(("provider", "body"), [
    ("tencent", b"not json"),
    ("tencent", b"\xff\xfe"),
    ("tencent", b"42"),
    ("tencent", b"[1, 2]"),
    ("tencent", json.dumps([{"sid": "x"}]).encode()),  # no report_status
    ("tencent", json.dumps([{"sid": "x", "report_status": "MAYBE"}]).encode()),
    ("tencent", json.dumps([{"report_status": "SUCCESS"}]).encode()),  # no sid
    ("aliyun", json.dumps([{"biz_id": "x"}]).encode()),  # no success
    ("aliyun", json.dumps([{"biz_id": "x", "success": "perhaps"}]).encode()),
    ("aliyun", json.dumps([{"success": True}]).encode()),  # no biz_id
    ("aliyun", json.dumps([{"biz_id": ["x"], "success": True}]).encode()),
    ("aliyun", b"[" * 100_000),
])
def test_a_body_that_is_not_a_report_is_malformed(provider, body):
    with pytest.raises(MalformedReport):
        parse_reports(provider, body)


# --- the hook, from the refused side ----------------------------------------------------------


def test_a_wrong_token_is_not_found(client, db, token):
    row = _sent("tencent", "2433:1")
    assert _post(client, "tencent", [_tencent("2433:1")], token="wrong").status_code == 404
    assert _post(client, "tencent", [_tencent("2433:1")], token=TOKEN + "x").status_code == 404
    row.refresh_from_db()
    assert row.status == S.SENT


def test_without_a_configured_token_the_hook_does_not_exist(client, db, settings):
    settings.HEJIE_SMS_REPORT_TOKEN = ""
    row = _sent("tencent", "2433:1")
    assert _post(client, "tencent", [_tencent("2433:1")], token="x").status_code == 404
    row.refresh_from_db()
    assert row.status == S.SENT


def test_an_unknown_provider_is_not_found(client, db, token):
    assert _post(client, "memory", [_tencent("2433:1")]).status_code == 404


def test_get_is_not_allowed(client, db, token):
    response = client.get(f"/hooks/sms/tencent/{TOKEN}/")
    assert response.status_code == 405
    assert client.get(f"/hooks/sms/tencent/{TOKEN}x/").status_code == 404  # nor does it tell the token


@pytest.mark.parametrize("body", [b"garbage", b"", b'{"sid": 1', b'[{"sid": "2433:1"}]'])
def test_a_garbage_body_is_a_400_with_a_reason(client, db, token, body):
    response = _post(client, "tencent", body)
    assert response.status_code == 400
    assert response.content.decode().startswith("malformed delivery report: ")


@pytest.mark.parametrize("body", [b"\x00\xff", b'[{"sid": "a\x00"}]'])
def test_a_body_with_a_nul_or_not_utf8_is_refused_at_the_edge(client, db, token, body):
    """Such a body never reaches the hook: hejie.core.edge refuses it for every route, with a 400."""
    assert _post(client, "tencent", body).status_code == 400


def test_the_hook_needs_no_csrf_token(db, token):
    from django.test import Client

    _sent("aliyun", "900^0")
    response = _post(Client(enforce_csrf_checks=True), "aliyun", [_aliyun("900^0")])
    assert response.status_code == 200


# --- the hook, applying reports ----------------------------------------------------------------


def test_tencent_reports_mark_rows_delivered_or_failed_and_get_tencent_s_answer(client, db, token):
    ok, bad, other = _sent("tencent", "2433:1"), _sent("tencent", "2433:2"), _sent("aliyun", "2433:1")
    response = _post(client, "tencent", [_tencent("2433:1"), _tencent("2433:2", "FAIL", "MK:0001", "空号")])
    assert (response.status_code, response.json()) == (200, {"result": 0, "errmsg": "OK"})
    for row in (ok, bad, other):
        row.refresh_from_db()
    assert (ok.status, bad.status, bad.last_error, other.status) == (S.DELIVERED, S.FAILED, "MK:0001: 空号", S.SENT)


def test_aliyun_reports_mark_rows_delivered_or_failed_and_get_alibaba_s_answer(client, db, token):
    ok, bad = _sent("aliyun", "900^0"), _sent("aliyun", "901^0")
    response = _post(client, "aliyun", [_aliyun("900^0"), _aliyun("901^0", False, "MK:0012", "号码停机")])
    assert response.status_code == 200
    assert json.loads(response.content.decode()) == {"code": 0, "msg": "接收成功"}
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert (ok.status, bad.status, bad.last_error) == (S.DELIVERED, S.FAILED, "MK:0012: 号码停机")


def test_a_report_of_an_unknown_message_is_answered_and_changes_nothing(client, db, token):
    row = _sent("tencent", "2433:1")
    assert _post(client, "tencent", [_tencent("2433:999")]).status_code == 200
    row.refresh_from_db()
    assert row.status == S.SENT


def test_a_message_sent_through_tencent_is_marked_delivered_by_its_report(client, tencent_sms, consumer, token):
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="进展", params={"title": "进展"})
    assert deliver_one(row.pk) == S.SENT
    row.refresh_from_db()
    assert _post(client, "tencent", [_tencent(row.provider_id)]).status_code == 200
    row.refresh_from_db()
    assert (row.status, row.reported_at is not None) == (S.DELIVERED, True)


def test_a_message_sent_through_alibaba_is_failed_by_its_report(client, aliyun_sms, consumer, token):
    row = send_direct(channel="sms", to=consumer.phone, kind="notice", title="进展", params={"title": "进展"})
    assert deliver_one(row.pk) == S.SENT
    row.refresh_from_db()
    report = _aliyun(row.provider_id, False, "MK:0012", "号码停机", out_id=f"hejie-{row.pk}")
    assert _post(client, "aliyun", [report]).status_code == 200
    row.refresh_from_db()
    assert (row.status, row.last_error) == (S.FAILED, "MK:0012: 号码停机")
