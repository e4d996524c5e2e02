"""The email channel: ``EmailChannel`` sends through Django's email framework.

So it speaks SMTP by default (``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER`` … from
``HEJIE_EMAIL_*``) and any provider django-anymail supports once ``EMAIL_BACKEND`` names it
(``HEJIE_DJANGO_EMAIL_BACKEND``). Choose it with ``HEJIE_EMAIL_BACKEND=
hejie.notifications.channels.email.EmailChannel``.

Each message has a plain-text and an HTML body, rendered from ``notifications/email.txt`` and
``notifications/email.html`` in the recipient's language (``message.data["lang"]``, which the
pipeline takes from their channel settings; Chinese by default). The title and body are the
notice's, as written; the wrapper (greeting, button, footer) is translated. The link is made
absolute with ``HEJIE_PUBLIC_URL``. The ``Message-ID`` is derived from the delivery's key, so
the same delivery sent twice carries the same id and a mail client can tell.

What an error means (``hejie.notifications.backends``):

- ``Permanent``: the server refused the recipient or the sender with a 5xx reply, refused our
  credentials (``SMTPAuthenticationError``), or the address cannot be written at all;
- ``Retryable``: a 4xx (temporary) reply, or the connection could not be opened or was lost
  before the message was handed over (refused, timed out, dropped before ``DATA``);
- ``Unknown``: the connection was lost or timed out after ``DATA`` was sent: the server may
  have taken the message, so it is not sent again by itself.
"""

from __future__ import annotations

import logging
import smtplib
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from hejie.notifications import kinds
from hejie.notifications.backends import DeliveryError, OutboundMessage, Permanent, Retryable, Sent, Unknown
from hejie.notifications.models import DEFAULT_LANGUAGE, Language

logger = logging.getLogger("hejie.notifications")

PROVIDER = "email"
# Where a person changes what reaches them, and how (the footer's link).
SETTINGS_PATH = "/account/channels/"


def public_url(path: str) -> str:
    """``path`` made absolute with ``HEJIE_PUBLIC_URL`` (a full URL is kept as it is; "" stays "")."""
    path = (path or "").strip()
    if not path or urlsplit(path).scheme in ("http", "https"):
        return path
    base = str(getattr(settings, "HEJIE_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}/{path.lstrip('/')}"


def _settings_url() -> str:
    try:
        return public_url(reverse("web:account-channels"))
    except NoReverseMatch:  # a project without the pages
        return public_url(SETTINGS_PATH)


def message_id(key: str) -> str:
    """The ``Message-ID`` of a delivery: the same key gives the same id (a second attempt of one
    delivery is recognisably the same message); no key, a fresh one."""
    domain = urlsplit(public_url("/")).hostname or "localhost"
    safe = "".join(c for c in key if c.isalnum() or c in "-_.")
    return f"<{safe}@{domain}>" if safe else make_msgid(domain=domain)


def language_of(message: OutboundMessage) -> str:
    lang = str(message.data.get("lang") or "")
    return lang if lang in Language.values else DEFAULT_LANGUAGE


def render(message: OutboundMessage) -> tuple[str, str, str]:
    """(subject, text, html) of ``message``, the wrapper in the recipient's language."""
    lang = language_of(message)
    subject = " ".join(message.title.split())  # one line: a header cannot hold a newline
    with translation.override(lang):
        context: dict[str, Any] = {
            "title": message.title,
            "body": message.body,
            "url": public_url(message.url),
            "settings_url": _settings_url(),
            "site_url": public_url("/"),
            "kind": str(kinds.MESSAGE_LABELS.get(message.kind, kinds.MESSAGE_LABELS["notice"])),
            "lang": lang,
            "chosen": message.kind in kinds.KIND_LABELS,  # a kind they choose channels for
        }
        text = render_to_string("notifications/email.txt", context)
        html = message.html or render_to_string("notifications/email.html", context)
    return subject, text, html


def _code(exc: BaseException) -> int:
    """The SMTP reply code an error carries (the first refused recipient's), or 0."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        return int(replies[0][0]) if replies else 0
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code)
    return 0


def classify(exc: BaseException, *, data_sent: bool) -> DeliveryError:
    """The ``DeliveryError`` an error of the email backend means; ``data_sent`` tells whether the
    message had been handed to the server (``DATA`` sent) when it happened."""
    code = _code(exc)
    text = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Permanent(text, code=str(code or "auth"))
    if code:  # the server answered: 4xx is temporary, 5xx is final
        return (Retryable if 400 <= code < 500 else Permanent)(text, code=str(code))
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # e.g. STARTTLS configured, not offered
        return Permanent(text, code="not-supported")
    if type(exc).__name__ == "AnymailRecipientsRefused":  # django-anymail: every recipient refused
        return Permanent(text, code="refused")
    if isinstance(exc, OSError):  # refused, reset, timed out, disconnected (SMTPException is an OSError)
        if data_sent:
            return Unknown(text, code="timeout" if "timed out" in str(exc) else "disconnected")
        return Retryable(text, code="connection")
    return Unknown(text)


class EmailChannel:
    """The email channel's backend (``HEJIE_NOTIFICATION_BACKENDS["email"]``)."""

    def send(self, message: OutboundMessage) -> Sent:
        subject, text, html = render(message)
        msgid = message_id(message.key)
        mail = EmailMultiAlternatives(
            subject=subject, body=text, to=[message.to],
            headers={"Message-ID": msgid, "Auto-Submitted": "auto-generated"},
        )
        mail.attach_alternative(html, "text/html")
        connection = get_connection()
        data_sent = False
        try:
            connection.open()
            smtp = getattr(connection, "connection", None)
            if isinstance(smtp, smtplib.SMTP):
                data = smtp.data

                def watched(msg: Any) -> tuple[int, bytes]:  # remember that DATA went out
                    nonlocal data_sent
                    data_sent = True
                    return data(msg)

                smtp.data = watched  # type: ignore[method-assign]
            sent = connection.send_messages([mail])
        except (smtplib.SMTPException, OSError) as exc:
            raise classify(exc, data_sent=data_sent) from exc
        except ValueError as exc:  # an address that cannot be written into a header
            raise Permanent(f"{type(exc).__name__}: {exc}"[:500], code="address") from exc
        except Exception as exc:  # another backend's error (django-anymail's): it may have sent
            raise classify(exc, data_sent=True) from exc
        finally:
            try:
                connection.close()
            except Exception:  # the message was handed over (or not) before this: it changes nothing
                logger.warning("closing the email connection failed after sending to %s", message.to, exc_info=True)
        if not sent:
            raise Permanent(f"the email backend sent nothing to {message.to!r}", code="not-sent")
        return Sent(provider=PROVIDER, provider_id=msgid)
