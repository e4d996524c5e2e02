"""The email channel (hejie.notifications.channels.email.EmailChannel).

First through Django's in-memory backend (what the message holds: subject, both bodies, the
absolute link, the wrapper in the person's language, the Message-ID); then against a real SMTP
server on 127.0.0.1 (tests/fakes/smtp.py) through Django's SMTP backend and smtplib, the path
production takes: the message parsed back as it arrived, a refused recipient, a temporary
refusal retried after its backoff, credentials, a server that cannot be reached, a timeout after
the message was handed over; and the person's language chosen on /account/channels/.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import socket

import pytest
from django.core import mail
from django.utils import translation

from hejie.notifications.backends import OutboundMessage, Permanent, Retryable, Sent, Unknown
from hejie.notifications.channels.email import EmailChannel, classify
from hejie.notifications.models import ChannelSettings, Delivery
from hejie.notifications.services import BACKOFF, deliver_due, notify, send_direct

EMAIL_CHANNEL = "hejie.notifications.channels.email.EmailChannel"
S = Delivery.Status
URL = "/account/channels/"


@pytest.fixture
def public_url(settings):
    settings.HEJIE_PUBLIC_URL = "https://hejie.example"
    return settings.HEJIE_PUBLIC_URL


@pytest.fixture
def locmem(db, settings, public_url):
    """Django's in-memory email backend under the email channel: ``mail.outbox`` (after the
    database's set-up, which empties it by replacing it)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HEJIE_NOTIFICATION_BACKENDS = {**settings.HEJIE_NOTIFICATION_BACKENDS, "email": EMAIL_CHANNEL}
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def shop_staff(make_user, business):
    return make_user("business", business=business, email="shop@example.com")


def _message(lang="zh-hans", **extra):
    values = dict(channel="email", to="shop@example.com", title="新投诉 HB20260315001",
                  body="消费者投诉：热干面里有异物。\n请在24小时内回复。", data={"event": "delivered", "lang": lang},
                  kind="new_order", key="hejie-42", url="/workbench/orders/HB20260315001/")
    values.update(extra)
    return OutboundMessage(**values)


def _html(email):
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


def _tell(user, capture, event="delivered", title="新投诉 HB1", url="/workbench/orders/HB1/"):
    with capture(execute=True):
        notify(users=[user], event=event, title=title, body="请尽快处理", url=url)
    return Delivery.objects.get(user=user, channel="email")


# --- what the message holds (Django's in-memory backend) -----------------------------------------


def test_the_message_holds_the_notice_a_link_and_why_it_came(locmem):
    sent = EmailChannel().send(_message())
    [email] = locmem
    assert email.subject == "新投诉 HB20260315001" and email.to == ["shop@example.com"]
    assert email.from_email == "和解平台 <noreply@localhost>"
    link = "https://hejie.example/workbench/orders/HB20260315001/"
    assert "你好，" in email.body and "消费者投诉：热干面里有异物。\n请在24小时内回复。" in email.body
    assert f"查看详情：{link}" in email.body
    assert "“新投诉”通过邮件发送给你" in email.body
    assert "更改通知设置：https://hejie.example/account/channels/" in email.body
    html = _html(email)
    assert '<html lang="zh-hans">' in html and "热干面里有异物。<br>请在24小时内回复。" in html
    assert f'<a href="{link}"' in html and "打开和解平台查看" in html
    assert 'href="https://hejie.example/account/channels/"' in html
    assert email.extra_headers["Message-ID"] == "<hejie-42@hejie.example>"
    assert email.message()["Message-ID"] == "<hejie-42@hejie.example>"
    assert sent == Sent(provider="email", provider_id="<hejie-42@hejie.example>")


def test_the_wrapper_is_in_english_for_a_person_who_chose_it(locmem):
    EmailChannel().send(_message(lang="en"))
    [email] = locmem
    assert email.subject == "新投诉 HB20260315001"  # what they are told stays as written
    assert email.body.startswith("Hello,") and "消费者投诉：热干面里有异物。" in email.body
    assert "See it here: https://hejie.example/workbench/orders/HB20260315001/" in email.body
    assert "send “New complaint” to you by email" in email.body
    assert "Change your notification settings: https://hejie.example/account/channels/" in email.body
    html = _html(email)
    assert '<html lang="en">' in html and "Open it on Hejie" in html and "你好" not in html
    assert translation.get_language() == "zh-hans"  # the sender's language is left as it was


def test_an_unknown_language_falls_back_to_chinese(locmem):
    EmailChannel().send(_message(lang="fr"))
    assert locmem[0].body.startswith("你好，")


def test_the_same_delivery_keeps_its_message_id_another_gets_its_own(locmem):
    channel = EmailChannel()
    first, again, other = (channel.send(_message(key=k)) for k in ("hejie-42", "hejie-42", "hejie-43"))
    assert first.provider_id == again.provider_id == "<hejie-42@hejie.example>"
    assert other.provider_id == "<hejie-43@hejie.example>"


def test_a_full_link_is_kept_no_link_no_button_and_the_subject_is_one_line(locmem):
    EmailChannel().send(_message(url="https://elsewhere.example/x", title="第一行\r\n第二行"))
    EmailChannel().send(_message(url="", kind="otp", key="hejie-44"))
    with_link, without = locmem
    assert with_link.subject == "第一行 第二行" and "查看详情：https://elsewhere.example/x" in with_link.body
    assert "查看详情" not in without.body and "打开和解平台查看" not in _html(without)
    assert "这封邮件由和解平台发送给你。" in without.body  # a code is not a kind they chose


def test_the_pipeline_passes_each_person_s_language(locmem, shop_staff, make_user, business,
                                                    django_capture_on_commit_callbacks):
    ChannelSettings.objects.create(user=shop_staff, language="en")
    other = make_user("business", business=business, email="other@example.com")  # no settings: Chinese
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[shop_staff, other], event="delivered", title="新投诉 HB1", url="/workbench/orders/HB1/")
    assert dict(Delivery.objects.filter(channel="email").values_list("to", "lang")) == {
        "shop@example.com": "en", "other@example.com": "zh-hans"}
    by_to = {m.to[0]: m for m in locmem}
    assert by_to["shop@example.com"].body.startswith("Hello,") and by_to["other@example.com"].body.startswith("你好")
    row = Delivery.objects.get(to="shop@example.com")
    assert row.status == S.SENT and row.provider == "email" and row.provider_id == f"<hejie-{row.pk}@hejie.example>"


def test_a_direct_message_to_a_person_is_in_their_language(locmem, shop_staff, django_capture_on_commit_callbacks):
    ChannelSettings.objects.create(user=shop_staff, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        row = send_direct(channel="email", to=shop_staff.email, kind="account", title="账号通知", user=shop_staff)
    assert row.lang == "en" and locmem[0].body.startswith("Hello,")


# --- against a real SMTP server ----------------------------------------------------------------


def test_a_notice_arrives_at_the_smtp_server_as_sent(smtp_server, public_url, shop_staff,
                                                     django_capture_on_commit_callbacks):
    row = _tell(shop_staff, django_capture_on_commit_callbacks)
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["shop@example.com"] and received.mail_from == "noreply@localhost"
    message = received.message
    assert message["Subject"] == "新投诉 HB1" and message["To"] == "shop@example.com"
    assert message["Message-ID"] == f"<hejie-{row.pk}@hejie.example>" == row.provider_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert "请尽快处理" in received.text() and "https://hejie.example/workbench/orders/HB1/" in received.text()
    assert 'href="https://hejie.example/workbench/orders/HB1/"' in received.html()
    assert (row.status, row.attempts, row.provider) == (S.SENT, 1, "email")


def test_a_new_complaint_reaches_the_staff_s_mailbox(smtp_server, public_url, shop_staff, file_complaint,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = file_complaint()
    [received] = [m for m in smtp_server.messages if m.rcpt_tos == ["shop@example.com"]]
    assert order.number in received.message["Subject"]
    assert "你好，" in received.text() and "“新投诉”通过邮件发送给你" in received.text()


def test_a_refused_recipient_fails_for_good_with_the_code(smtp_server, shop_staff, django_capture_on_commit_callbacks):
    smtp_server.refuse.add("shop@example.com")
    row = _tell(shop_staff, django_capture_on_commit_callbacks)
    assert (row.status, row.error_code, row.attempts) == (S.FAILED, "550", 1)
    assert "Recipient address rejected" in row.last_error and smtp_server.messages == []
    with pytest.raises(Permanent) as raised:
        EmailChannel().send(_message())
    assert raised.value.code == "550"


def test_a_temporary_refusal_is_retried_after_its_backoff_and_delivered_once(
        smtp_server, shop_staff, traveller, django_capture_on_commit_callbacks):
    smtp_server.temporary = 1
    row = _tell(shop_staff, django_capture_on_commit_callbacks)
    assert (row.status, row.error_code, row.attempts) == (S.QUEUED, "451", 1)
    assert row.not_before == row.created_at + BACKOFF[0] and smtp_server.messages == []
    traveller.shift(BACKOFF[0] - dt.timedelta(seconds=1))
    assert deliver_due() == 0  # not before its backoff
    traveller.shift(dt.timedelta(seconds=1))
    assert deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_code) == (S.SENT, 2, "")
    assert deliver_due() == 0
    [received] = smtp_server.messages
    assert received.message["Message-ID"] == row.provider_id


def test_a_server_asking_for_credentials_takes_the_right_ones(smtp_server, settings):
    smtp_server.users = {"hejie": "s3cret"}
    with pytest.raises(Permanent) as without:
        EmailChannel().send(_message())
    assert without.value.code == "530"  # MAIL FROM refused: authentication required
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "hejie", "wrong"
    with pytest.raises(Permanent) as wrong:
        EmailChannel().send(_message())
    assert wrong.value.code == "535" and smtp_server.auth_failures >= 1
    settings.EMAIL_HOST_PASSWORD = "s3cret"
    EmailChannel().send(_message())
    assert len(smtp_server.messages) == 1


def test_a_server_that_cannot_be_reached_is_retried(smtp_server, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    with pytest.raises(Retryable) as raised:
        EmailChannel().send(_message())
    assert raised.value.code == "connection"


def test_a_timeout_after_the_message_was_handed_over_is_unknown_and_not_resent(
        smtp_server, settings, shop_staff, django_capture_on_commit_callbacks):
    settings.EMAIL_TIMEOUT = 1
    smtp_server.stall = 2
    with pytest.raises(Unknown) as raised:
        EmailChannel().send(_message())
    assert raised.value.code == "timeout"
    row = _tell(shop_staff, django_capture_on_commit_callbacks)
    assert (row.status, row.error_code) == (S.UNKNOWN, "timeout")
    assert len(smtp_server.messages) == 2  # the server did take both: a retry would have sent it twice
    smtp_server.stall = 0
    assert deliver_due() == 0 and len(smtp_server.messages) == 2


# --- the person's language on /account/channels/ -----------------------------------------------


def _choices(client, **extra):
    return client.post(URL, {"action": "choices", "kind-new_order": ["email"], "quiet_start": "22:00",
                             "quiet_end": "08:00", **extra})


def test_the_channels_page_saves_the_language_and_the_emails_follow_it(
        client, smtp_server, public_url, shop_staff, django_capture_on_commit_callbacks):
    client.force_login(shop_staff)
    page = client.get(URL).content.decode()
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in page
    assert _choices(client, language="en").status_code == 302
    assert ChannelSettings.objects.get(user=shop_staff).language == "en"
    assert '<option value="en" lang="en" selected>English</option>' in client.get(URL).content.decode()
    _tell(shop_staff, django_capture_on_commit_callbacks)
    [received] = smtp_server.messages
    assert received.text().startswith("Hello,") and "Open it on Hejie" in received.html()


def test_the_channels_page_refuses_an_unknown_language_clearly(client, shop_staff):
    client.force_login(shop_staff)
    response = _choices(client, language="fr")
    page = response.content.decode()
    assert response.status_code == 422 and 'id="language-error"' in page and "未知的语言 &#x27;fr&#x27;" in page
    assert not ChannelSettings.objects.exists()
    assert _choices(client).status_code == 302  # a form without the select keeps the language
    assert ChannelSettings.objects.get(user=shop_staff).language == "zh-hans"


def test_the_language_select_speaks_english(client, shop_staff):
    client.cookies["django_language"] = "en"
    client.force_login(shop_staff)
    page = client.get(URL).content.decode()
    assert "Language of your messages" in page
    assert "Unknown language" in _choices(client, language="xx").content.decode()


@pytest.mark.parametrize("error, data_sent, outcome, code", [
    (smtplib.SMTPSenderRefused(451, b"4.3.0 try later", "noreply@localhost"), False, Retryable, "451"),
    (smtplib.SMTPSenderRefused(553, b"5.7.1 sender not allowed", "noreply@localhost"), False, Permanent, "553"),
    (smtplib.SMTPRecipientsRefused({"a@example.com": (452, b"4.2.2 mailbox full")}), False, Retryable, "452"),
    (smtplib.SMTPDataError(554, b"5.7.1 rejected as spam"), True, Permanent, "554"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False, Retryable, "connection"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, Unknown, "disconnected"),
    (TimeoutError("timed out"), False, Retryable, "connection"),
    (ConnectionRefusedError(111, "Connection refused"), False, Retryable, "connection"),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), False, Permanent, "535"),
    (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), False, Permanent,
     "not-supported"),
])
def test_what_each_smtp_error_means(error, data_sent, outcome, code):
    mapped = classify(error, data_sent=data_sent)
    assert type(mapped) is outcome and mapped.code == code
