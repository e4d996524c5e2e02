"""Telling people things: ``notify()`` for notices, ``send_direct()`` for one-time codes and
invitations, and the delivery of every outgoing message.

``notify`` stores an in-app notice per person in the caller's transaction and, for each
channel the person chose for the notice's kind (``hejie.notifications.kinds``; the defaults
when they chose nothing), a ``Delivery`` row. After the transaction commits the rows are
handed to a Celery worker (``DELIVER_TASK``) when a broker is configured, or sent from this
process; nothing is sent for a change that was rolled back.

Delivery rules, each in one place below:

- **Once per row.** A row is claimed (``queued``/``held`` -> ``sending``) by a conditional
  update before the provider is called; a second worker, a retry of the task or a restarted
  worker finds it claimed and sends nothing. A row left ``sending`` by a worker that died is
  marked ``unknown`` by the periodic pass, never sent again by itself (the operator may resend).
- **Retries** with backoff (``BACKOFF``) on ``Retryable`` errors, up to ``MAX_ATTEMPTS``;
  none on ``Permanent`` or ``Unknown`` ones.
- **Fallback**: a WeChat message that cannot be delivered goes by SMS instead, when the person
  has a number (a person with both gets WeChat first, SMS only when WeChat fails).
- **Quiet hours** (the person's; default 22:00-08:00 Asia/Shanghai) hold SMS until they end,
  except the urgent kinds (codes, claim invitations). The business's clocks do not stop.
- **Rate limit**: at most ``HEJIE_SMS_PER_HOUR`` SMS per number per hour (codes have their own
  limits in accounts); the excess is not sent (``limited``) and stays in the in-app notices.
- **Reports**: the providers' delivery reports mark rows ``delivered`` or ``failed``.

``deliver_due`` (run by the sweep every minute) sends what is due: retries whose backoff has
passed and messages held for quiet hours.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, Q
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from prometheus_client import Counter

from hejie.core import clock
from hejie.core.background import enqueue
from hejie.core.errors import invalid
from hejie.core.i18n import pick
from hejie.notifications import kinds
from hejie.notifications.backends import Backend, DeliveryError, OutboundMessage, Permanent, Report, Retryable
from hejie.notifications.models import DEFAULT_LANGUAGE, ChannelSettings, Delivery, Language, Notification

logger = logging.getLogger("hejie.notifications")

# The task in tasks.py that runs ``deliver`` on a worker, sent by name.
DELIVER_TASK = "hejie.notifications.deliver"

MAX_ATTEMPTS = 5
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15), dt.timedelta(hours=1))
# A row claimed longer ago than this by a worker that never finished is marked unknown.
STALE_SENDING = dt.timedelta(minutes=10)
S = Delivery.Status

# Each attempt's outcome by channel, for /metrics (hejie.ops.metrics exposes it): sent; queued (to be
# retried after a backoff); failed; unknown (may or may not have gone); limited (the SMS rate limit).
DELIVERIES = Counter("hejie_notification_deliveries", "Message delivery attempts, by channel and outcome",
                     ["channel", "outcome"])


def backend_for(channel: str) -> Backend:
    path = settings.HEJIE_NOTIFICATION_BACKENDS.get(channel, "hejie.notifications.backends.LogBackend")
    backend: Backend = import_string(path)()
    return backend


# --- whom, on which channels -------------------------------------------------------------


def _address(user: Any, channel: str) -> str:
    if channel == kinds.SMS:
        return str(getattr(user, "sms_number", "") or "")
    if channel == kinds.WECHAT:
        return str(getattr(user, "wechat_openid", "") or "")
    return str(getattr(user, "email", "") or "")


def channels_chosen(user: Any, kind: str, chosen: ChannelSettings | None, *, duty: bool = True) -> frozenset[str]:
    """The channels ``user`` wants ``kind`` on (their settings, else the defaults); with ``duty``,
    less SMS and WeChat for new orders and urges while a business staff member is off duty."""
    audience = getattr(user, "audience", "staff")
    if chosen is not None and kind in chosen.choices:
        wanted = frozenset(c for c in chosen.choices[kind] if c in kinds.CHANNELS)
    else:
        wanted = kinds.default_channels(audience, kind)
    if duty and kind in kinds.ON_DUTY_KINDS and audience == "staff" and not getattr(user, "on_duty", True):
        wanted -= {kinds.SMS, kinds.WECHAT}
    return wanted


def _plan(user: Any, kind: str, chosen: ChannelSettings | None) -> list[tuple[str, str]]:
    """(channel, address) for each message ``user`` gets: WeChat stands in for SMS when the
    person has both (SMS is then its fallback), email goes beside them."""
    wanted = channels_chosen(user, kind, chosen)
    plan = []
    instant = [c for c in (kinds.WECHAT, kinds.SMS) if c in wanted and _address(user, c)]
    if instant:
        plan.append((instant[0], _address(user, instant[0])))
    if kinds.EMAIL in wanted and _address(user, kinds.EMAIL):
        plan.append((kinds.EMAIL, _address(user, kinds.EMAIL)))
    return plan


def default_quiet_hours() -> tuple[dt.time, dt.time] | None:
    """The platform's quiet hours (``HEJIE_QUIET_HOURS``, "22:00-08:00"), or None."""
    text = str(getattr(settings, "HEJIE_QUIET_HOURS", "") or "").strip()
    if not text:
        return None
    start, _, end = text.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def quiet_until(now: dt.datetime, chosen: ChannelSettings | None) -> dt.datetime | None:
    """When the person's quiet hours end, if ``now`` is inside them (Asia/Shanghai); else None.
    Someone who never set theirs has the platform's (``HEJIE_QUIET_HOURS``)."""
    if chosen is not None:
        if not chosen.quiet_hours:
            return None
        start, end = chosen.quiet_start, chosen.quiet_end
    else:
        hours = default_quiet_hours()
        if hours is None:
            return None
        start, end = hours
    if start == end:
        return None
    local = now.astimezone(clock.SHANGHAI)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += dt.timedelta(days=1)
    return end_at


def language_chosen(chosen: ChannelSettings | None) -> str:
    """The language of a person's messages: theirs, else the default (Chinese)."""
    if chosen is not None and chosen.language in Language.values:
        return str(chosen.language)
    return DEFAULT_LANGUAGE


# --- writing the messages -----------------------------------------------------------------


def notify(*, users: Iterable[Any], event: str, title: str, body: str = "", complaint: Model | None = None,
           url: str = "", params: dict[str, str] | None = None, bilingual: bool = False) -> list[Notification]:
    """Tell ``users`` (``None`` entries are skipped): an in-app notice each, and a delivery on each
    channel they chose for the event's kind, sent after commit. ``complaint`` is the order it is
    about, if any; ``url`` the page to open; ``params`` the SMS/WeChat template's values (by default
    the title). With ``bilingual``, ``title`` and ``body`` are stored text ``中文 (english)``
    (``core.i18n``): the notice keeps both, each message carries its recipient's half. This app sits
    below accounts and complaints: it knows people and orders by key and by the attributes it reads
    (``sms_number``, ``wechat_openid``, ``email``, ``audience``, ``on_duty``)."""
    people = [u for u in users if u is not None]
    if not people:
        return []
    complaint_id = complaint.pk if complaint is not None else None
    rows = Notification.objects.bulk_create(
        [Notification(user_id=u.pk, event=event, complaint_id=complaint_id, title=title, body=body) for u in people]
    )
    kind = kinds.kind_of(event)
    chosen = {c.user_id: c for c in ChannelSettings.objects.filter(user_id__in=[u.pk for u in people])}
    now = clock.now()
    out = []
    for user, row in zip(people, rows, strict=True):
        mine = chosen.get(user.pk)
        lang = language_chosen(mine)
        said, text = _in_language(title, body, lang) if bilingual else (title, body)
        values = params if params is not None else {"title": said[:20]}
        for channel, to in _plan(user, kind, mine):
            held = quiet_until(now, mine) if channel == kinds.SMS else None
            out.append(Delivery(
                user_id=user.pk, notification_id=row.pk, channel=channel, to=to, kind=kind, event=event,
                title=said[:200], body=text, params=values, url=url, lang=lang, created_at=now,
                status=S.HELD if held else S.QUEUED, not_before=held or now,
            ))
    _queue(out)
    return rows


def _in_language(title: str, body: str, lang: str) -> tuple[str, str]:
    """The half of bilingual ``title`` and ``body`` in ``lang``."""
    with translation.override(lang):
        return pick(title), pick(body)


def send_direct(*, channel: str, to: str, kind: str, title: str, body: str = "", params: dict[str, str] | None = None,
                url: str = "", user: Model | None = None) -> Delivery:
    """One message to an address, at once whatever the hour (a one-time code, a claim invitation),
    sent after commit. Not a notice: it is in nobody's in-app list."""
    mine = ChannelSettings.objects.filter(user_id=user.pk).first() if user is not None else None
    row = Delivery(user_id=user.pk if user is not None else None, channel=channel, to=to, kind=kind, event=kind,
                   title=title[:200], body=body, params=params or {}, url=url, lang=language_chosen(mine),
                   created_at=clock.now())
    _queue([row])
    return row


def _queue(rows: list[Delivery]) -> None:
    if not rows:
        return
    created = Delivery.objects.bulk_create(rows)
    now_ids = [r.pk for r in created if r.status == S.QUEUED]
    if now_ids:
        transaction.on_commit(lambda: dispatch(now_ids))


def dispatch(ids: Sequence[int]) -> None:
    """After commit: to a Celery worker when a broker is configured, else here. A broker that does
    not answer loses nothing: the rows are sent from here instead (and, were this process to stop,
    the periodic pass would send them)."""
    try:
        if enqueue(DELIVER_TASK, list(ids)):
            return
    except Exception:
        logger.exception("could not enqueue %d deliveries; sending in-process", len(ids))
    deliver(ids)


# --- sending ------------------------------------------------------------------------------


def _limited(row: Delivery, now: dt.datetime) -> bool:
    if row.channel != kinds.SMS or row.kind in kinds.URGENT:
        return False
    limit = int(getattr(settings, "HEJIE_SMS_PER_HOUR", 20))
    recent = Delivery.objects.filter(channel=kinds.SMS, to=row.to, sent_at__gt=now - dt.timedelta(hours=1),
                                     status__in=[S.SENT, S.DELIVERED]).exclude(kind__in=kinds.URGENT)
    return recent.count() >= limit


def _message(row: Delivery) -> OutboundMessage:
    return OutboundMessage(channel=row.channel, to=row.to, title=row.title, body=row.body,
                           data={"event": row.event, "lang": row.lang or DEFAULT_LANGUAGE}, kind=row.kind,
                           params=dict(row.params or {}),
                           key=f"hejie-{row.pk}", url=row.url)


def _redact(row: Delivery) -> list[str]:
    """A one-time code is not kept once its message is done with (only its hash is, in accounts)."""
    code = (row.params or {}).get("code")
    if not code:
        return []
    row.params = {**row.params, "code": "*" * len(code)}
    row.title = row.title.replace(code, "*" * len(code))
    row.body = re.sub(re.escape(code), "*" * len(code), row.body)
    return ["params", "title", "body"]


def deliver_one(pk: int, *, now: dt.datetime | None = None) -> str:
    """Send delivery ``pk`` if it is due and nobody has claimed it; return its status after."""
    now = now or clock.now()
    claimed = Delivery.objects.filter(pk=pk, status__in=[S.QUEUED, S.HELD], not_before__lte=now).update(
        status=S.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    row = Delivery.objects.filter(pk=pk).first()
    if row is None:
        return "missing"
    if not claimed:
        return row.status
    if _limited(row, now):
        row.status = S.LIMITED
        row.last_error = "rate limit: too many SMS to this number in the last hour"
        row.save(update_fields=["status", "last_error"])
        DELIVERIES.labels(channel=row.channel, outcome=row.status).inc()
        return row.status
    changed = ["status", "provider", "provider_id", "error_code", "last_error", "sent_at", "not_before"]
    try:
        sent = backend_for(row.channel).send(_message(row))
    except DeliveryError as exc:
        _failed(row, exc, now)
    except Exception as exc:  # a bug or an unforeseen error of a client library: it may have sent
        logger.exception("delivery %s on %s failed unexpectedly", row.pk, row.channel)
        _failed(row, DeliveryError(f"{type(exc).__name__}: {exc}"), now)
    else:
        row.status = S.SENT
        row.sent_at = clock.now()
        row.provider = getattr(sent, "provider", "") or row.channel
        row.provider_id = getattr(sent, "provider_id", "") or ""
        row.error_code = row.last_error = ""
    if row.status != S.QUEUED:
        changed += _redact(row)
    row.save(update_fields=changed)
    DELIVERIES.labels(channel=row.channel, outcome=row.status).inc()
    if row.status == S.FAILED:
        _fall_back(row)
    return row.status


def _failed(row: Delivery, exc: DeliveryError, now: dt.datetime) -> None:
    row.error_code = (exc.code or "")[:64]
    row.last_error = str(exc)[:500]
    if isinstance(exc, Retryable) and row.attempts < MAX_ATTEMPTS:
        wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        if exc.retry_after:
            wait = max(wait, dt.timedelta(seconds=exc.retry_after))
        row.status, row.not_before = S.QUEUED, now + wait
    elif isinstance(exc, (Retryable, Permanent)):
        row.status = S.FAILED
    else:
        row.status = S.UNKNOWN
    logger.warning("delivery %s on %s to %s: %s (%s) -> %s", row.pk, row.channel, row.to, row.last_error,
                   row.error_code, row.status)


def _fall_back(row: Delivery) -> None:
    """A WeChat message that failed goes by SMS to a person who has a number; like any SMS, it waits
    for the end of the person's quiet hours (the urgent kinds aside)."""
    if row.channel != kinds.WECHAT or row.user is None:
        return
    number = _address(row.user, kinds.SMS)
    if not number or row.fallbacks.exists():
        return
    now = clock.now()
    mine = ChannelSettings.objects.filter(user=row.user).first()
    held = None if row.kind in kinds.URGENT else quiet_until(now, mine)
    with transaction.atomic():
        fallback = Delivery.objects.create(
            user_id=row.user_id, notification_id=row.notification_id, channel=kinds.SMS, to=number, kind=row.kind,
            event=row.event, title=row.title, body=row.body, params=row.params, url=row.url, lang=row.lang,
            fallback_of=row, created_at=now, status=S.HELD if held else S.QUEUED, not_before=held or now)
        if not held:
            transaction.on_commit(lambda: dispatch([fallback.pk]))


def deliver(ids: Iterable[int]) -> None:
    for pk in ids:
        try:
            deliver_one(pk)
        except Exception:  # one bad row must not stop the rest
            logger.exception("delivery %s could not be processed", pk)


def deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The periodic pass (run by the sweep): mark rows left ``sending`` by a dead worker as
    unknown, then send what is due (retries after their backoff, messages held for quiet hours)."""
    now = now or clock.now()
    Delivery.objects.filter(status=S.SENDING, claimed_at__lt=now - STALE_SENDING).update(
        status=S.UNKNOWN, last_error="the sender stopped during the attempt: it may or may not have been sent")
    due = list(Delivery.objects.filter(status__in=[S.QUEUED, S.HELD], not_before__lte=now)
               .order_by("not_before").values_list("pk", flat=True)[:limit])
    if due:
        dispatch(due)
    return len(due)


# --- after sending ------------------------------------------------------------------------


def delivery_reports(*, provider: str, reports: Iterable[Report]) -> int:
    """Apply a provider's delivery reports (its status callback); returns the rows updated."""
    now = clock.now()
    updated = 0
    for report in reports:
        if not report.provider_id:
            continue
        rows = Delivery.objects.filter(provider=provider, provider_id=report.provider_id)
        if report.delivered:
            updated += rows.exclude(status=S.DELIVERED).update(status=S.DELIVERED, reported_at=now)
        else:
            updated += rows.filter(Q(status=S.SENT) | Q(status=S.UNKNOWN)).update(
                status=S.FAILED, reported_at=now, last_error=(report.error or "failed (provider report)")[:500])
    return updated


def delivery_resend(*, delivery: Delivery) -> Delivery:
    """The operator sends a failed (or unknown, or rate-limited) message again, as a new row."""
    if delivery.status not in (S.FAILED, S.UNKNOWN, S.LIMITED):
        raise ValueError(f"only a failed, unknown or rate-limited delivery is resent, not a {delivery.status} one")
    if delivery.kind in kinds.URGENT:
        raise ValueError("a one-time code is not resent: the person asks for a new one")
    with transaction.atomic():
        row = Delivery.objects.create(
            user_id=delivery.user_id, notification_id=delivery.notification_id, channel=delivery.channel,
            to=delivery.to, kind=delivery.kind, event=delivery.event, title=delivery.title, body=delivery.body,
            params=delivery.params, url=delivery.url, lang=delivery.lang, resent_from=delivery)
        transaction.on_commit(lambda: dispatch([row.pk]))
    return row


def notification_mark_read(*, user: Model, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return qs.update(read_at=clock.now())


# --- a person's choices -------------------------------------------------------------------


def _time(value: object, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value or "").strip()[:5])
    except ValueError:
        raise invalid(field, _("请填写时间，如 22:00")) from None


def channel_settings_save(*, user: Model, choices: Mapping[str, Iterable[str]], quiet_hours: bool,
                          quiet_start: object = "22:00", quiet_end: object = "08:00",
                          language: object = None) -> ChannelSettings:
    """Store which channels carry each kind of message for ``user`` (kinds not offered to them,
    or unknown channels, are refused), their quiet hours and the language of their messages
    (``None`` keeps the one they have; an unknown language is refused)."""
    offered = kinds.AUDIENCE_KINDS.get(getattr(user, "audience", "staff"), ())
    table: dict[str, list[str]] = {}
    for kind, channels in choices.items():
        if kind not in offered:
            raise invalid("choices", _("未知的消息类别 %(kind)s") % {"kind": repr(kind)[:40]})
        wanted = list(dict.fromkeys(channels))
        unknown = [c for c in wanted if c not in kinds.CHANNELS]
        if unknown:
            raise invalid("choices", _("未知的渠道 %(channel)s") % {"channel": repr(unknown[0])[:20]})
        table[kind] = sorted(wanted, key=kinds.CHANNELS.index)
    start = _time(quiet_start, "quiet_start")
    end = _time(quiet_end, "quiet_end")
    if quiet_hours and start == end:
        raise invalid("quiet_end", _("免打扰的开始和结束时间不能相同"))
    values: dict[str, Any] = {"choices": {k: table.get(k, []) for k in offered}, "quiet_hours": bool(quiet_hours),
                              "quiet_start": start, "quiet_end": end, "updated_at": clock.now()}
    if language is not None:
        if language not in Language.values:
            raise invalid("language", _("未知的语言 %(language)s") % {"language": repr(language)[:20]})
        values["language"] = language
    row, _created = ChannelSettings.objects.update_or_create(user_id=user.pk, defaults=values)
    return row
