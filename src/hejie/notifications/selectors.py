"""Reading a person's channel choices and language, as the settings page shows them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hejie.notifications import kinds
from hejie.notifications.models import ChannelSettings, Delivery
from hejie.notifications.services import channels_chosen, default_quiet_hours, language_chosen


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: str
    channels: dict[str, bool]  # channel -> chosen


@dataclass(frozen=True)
class ChannelView:
    rows: list[KindRow]
    addresses: dict[str, str]  # channel -> where it goes ("" when the person has none)
    quiet_hours: bool
    quiet_start: dt.time
    quiet_end: dt.time
    language: str  # the language of their messages ("zh-hans", "en")


def language_of(user: Any) -> str:
    """The language ``user`` gets their messages in: their choice, else the default (Chinese)."""
    return language_chosen(ChannelSettings.objects.filter(user_id=user.pk).first())


def channel_view(user: Any) -> ChannelView:
    """What ``user`` receives on which channel: their choices or the defaults."""
    mine = ChannelSettings.objects.filter(user_id=user.pk).first()
    rows = []
    for kind in kinds.AUDIENCE_KINDS.get(getattr(user, "audience", "staff"), ()):
        chosen = channels_chosen(user, kind, mine, duty=False)  # the page shows being on duty apart
        rows.append(KindRow(kind, str(kinds.KIND_LABELS[kind]), {c: c in chosen for c in kinds.CHANNELS}))
    addresses = {
        kinds.SMS: str(getattr(user, "sms_number", "") or ""),
        kinds.WECHAT: "✓" if getattr(user, "wechat_openid", None) else "",
        kinds.EMAIL: str(getattr(user, "email", "") or ""),
    }
    if mine is not None:
        quiet, start, end = mine.quiet_hours, mine.quiet_start, mine.quiet_end
    else:
        hours = default_quiet_hours()
        quiet = hours is not None
        start, end = hours or (dt.time(22, 0), dt.time(8, 0))
    return ChannelView(rows, addresses, quiet, start, end, language_chosen(mine))


def deliveries_of(user: Any, *, limit: int = 20) -> list[Delivery]:
    """The person's latest outgoing messages (the settings page shows what was sent and how it went)."""
    return list(Delivery.objects.filter(user_id=user.pk).order_by("-created_at", "-id")[:limit])
