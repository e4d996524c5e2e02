"""The WeChat adapter (hejie.notifications.channels.wechat) against a fake WeChat API on a local
port (tests/fakes/wechat.py): wechatpy, requests and the HTTP stack all run. Each of WeChat's
answers gives the outcome the pipeline expects, and through the pipeline a consumer bound to
WeChat gets order news by WeChat, or by SMS when WeChat refuses."""

from __future__ import annotations

import pytest

from hejie.notifications.backends import MemoryBackend, OutboundMessage, Permanent, Retryable, Sent, Unknown
from hejie.notifications.channels import wechat as channel
from hejie.notifications.models import Delivery
from hejie.notifications.services import notify

S = Delivery.Status


def _message(**extra):
    values = {"channel": "wechat", "to": "o-consumer-1", "title": "投诉有新进展", "kind": "order_update",
              "params": {"first": "投诉有新进展", "keyword1": "HJ2026001"}, "url": "/complaints/7/"}
    values.update(extra)
    return OutboundMessage(**values)


def test_a_template_message_is_sent_with_a_token_fetched_once(wechat, settings):
    settings.HEJIE_PUBLIC_URL = "https://hejie.example.cn"
    backend = channel.WeChatTemplate()
    first = backend.send(_message())
    second = backend.send(_message(to="o-consumer-2"))
    assert isinstance(first, Sent) and first.provider == "wechat" and first.provider_id == "1000"
    assert second.provider_id == "1001"
    assert len(wechat.calls("/cgi-bin/token")) == 1  # the token is kept, not fetched per message
    body = wechat.sent[0]
    assert body["touser"] == "o-consumer-1" and body["template_id"] == "tpl-order-update"
    assert body["data"] == {"first": {"value": "投诉有新进展"}, "keyword1": {"value": "HJ2026001"}}
    assert channel.template_data(_message(params={"title": "短标题"}, body="请查看")) == {
        "title": {"value": "短标题"}, "first": {"value": "投诉有新进展"}, "remark": {"value": "请查看"}}
    assert body["url"] == "https://hejie.example.cn/complaints/7/"


def test_an_expired_token_is_fetched_again_and_the_message_sent_once(wechat):
    channel.WeChatTemplate().send(_message())
    wechat.expire_token_once = True
    sent = channel.WeChatTemplate().send(_message())
    assert sent.provider == "wechat"
    assert len(wechat.calls("/cgi-bin/token")) == 2 and len(wechat.sent) == 2


def test_a_token_refused_twice_is_retryable(wechat):
    wechat.expire_token_always = True
    with pytest.raises(Retryable) as caught:
        channel.WeChatTemplate().send(_message())
    assert caught.value.code == "40001"
    assert len(wechat.calls("/cgi-bin/message/template/send")) == 2  # one retry, not a loop


@pytest.mark.parametrize(("errcode", "outcome"), [
    (43004, Permanent), (40003, Permanent), (40037, Permanent), (47003, Permanent),
    (-1, Retryable), (45009, Retryable), (45047, Retryable),
])
def test_wechat_s_errors_map_to_outcomes(wechat, errcode, outcome):
    wechat.template_error = errcode
    with pytest.raises(outcome) as caught:
        channel.WeChatTemplate().send(_message())
    assert caught.value.code == str(errcode)
    assert type(caught.value) is outcome


def test_a_kind_without_a_template_is_permanent_before_any_call(wechat):
    with pytest.raises(Permanent, match="no WeChat template.*'digest'"):
        channel.WeChatTemplate().send(_message(kind="digest"))
    assert wechat.requests == []


def test_wrong_credentials_are_permanent(wechat, settings):
    settings.HEJIE_WECHAT = {**settings.HEJIE_WECHAT, "app_secret": "wrong"}
    with pytest.raises(Permanent) as caught:
        channel.WeChatTemplate().send(_message())
    assert caught.value.code == "40125"
    assert wechat.calls("/cgi-bin/message/template/send") == []


def test_no_answer_in_time_is_unknown(wechat, settings):
    channel.WeChatTemplate().send(_message())  # the token first, on time
    settings.HEJIE_CHANNEL_TIMEOUT = 0.3
    wechat.slow = 1.5
    with pytest.raises(Unknown):
        channel.WeChatTemplate().send(_message())


def test_an_answer_that_is_not_wechat_s_json_is_unknown(wechat):
    wechat.html_answer = True
    with pytest.raises(Unknown):
        channel.WeChatTemplate().send(_message())


def test_a_server_that_does_not_listen_is_retryable(wechat, settings):
    port = wechat.server.server_address[1]
    wechat.stop()
    settings.HEJIE_WECHAT = {**settings.HEJIE_WECHAT, "api_base": f"http://127.0.0.1:{port}/"}
    with pytest.raises(Retryable):
        channel.WeChatTemplate().send(_message())


# --- through the pipeline -------------------------------------------------------------------


@pytest.fixture
def sms_memory(settings, wechat):
    settings.HEJIE_NOTIFICATION_BACKENDS = {**settings.HEJIE_NOTIFICATION_BACKENDS,
                                            "sms": "hejie.notifications.backends.MemoryBackend"}
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


def _order_news(consumer, capture):
    with capture(execute=True):
        notify(users=[consumer], event="accepted", title="商户已受理您的投诉", url="/complaints/1/")


def test_a_consumer_bound_to_wechat_gets_order_news_by_wechat(wechat, sms_memory, consumer,
                                                                django_capture_on_commit_callbacks):
    consumer.wechat_openid = "o-consumer-1"
    consumer.save()
    _order_news(consumer, django_capture_on_commit_callbacks)
    [row] = Delivery.objects.all()
    assert (row.channel, row.status, row.provider, row.kind) == ("wechat", S.SENT, "wechat", "order_update")
    assert row.provider_id == "1000"
    assert [m["touser"] for m in wechat.sent] == ["o-consumer-1"] and sms_memory == []


def test_when_wechat_answers_43004_the_consumer_gets_one_sms(wechat, sms_memory, consumer,
                                                              django_capture_on_commit_callbacks):
    consumer.wechat_openid = "o-unfollowed"
    consumer.save()
    wechat.template_error = 43004
    _order_news(consumer, django_capture_on_commit_callbacks)
    first = Delivery.objects.get(channel="wechat")
    assert (first.status, first.error_code) == (S.FAILED, "43004")
    fallback = Delivery.objects.get(fallback_of=first)
    assert (fallback.channel, fallback.status, fallback.to) == ("sms", S.SENT, consumer.phone)
    # exactly one message reached the person
    assert wechat.sent == [] and [(m.channel, m.to) for m in sms_memory] == [("sms", consumer.phone)]
