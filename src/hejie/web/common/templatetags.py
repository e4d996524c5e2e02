"""Template filters of the web pages: ``{% load hejie %}``."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext, ngettext

from hejie.complaints.services import review_reason_label
from hejie.complaints.states import State
from hejie.core import clock
from hejie.web.common import i18n, labels

register = template.Library()


@register.filter
def waited(since: dt.datetime | None) -> str:
    """'已等待 3 天 4 小时' since ``since``, against the one clock."""
    if since is None:
        return ""
    return gettext("已等待 %(span)s") % {"span": _span(max((clock.now() - since).total_seconds(), 0))}


@register.filter
def review_reason(reason: str) -> str:
    """Why an order is in the council's queue, as people read it."""
    return review_reason_label(reason)


@register.filter
def pick(text) -> str:
    return i18n.pick(text)


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return (ngettext("%(n)d 天", "%(n)d 天", days) % {"n": days}) + " " + (
            ngettext("%(n)d 小时", "%(n)d 小时", hours) % {"n": hours})
    if hours:
        return (ngettext("%(n)d 小时", "%(n)d 小时", hours) % {"n": hours}) + " " + (
            ngettext("%(n)d 分钟", "%(n)d 分钟", mins) % {"n": mins})
    return ngettext("%(n)d 分钟", "%(n)d 分钟", max(mins, 1)) % {"n": max(mins, 1)}


@register.filter
def time_left(deadline: dt.datetime | None) -> str:
    """'还剩 3 天 4 小时' / '已超过 2 小时' against the one clock."""
    if deadline is None:
        return ""
    seconds = (deadline - clock.now()).total_seconds()
    if seconds >= 0:
        return gettext("还剩 %(span)s") % {"span": _span(seconds)}
    return gettext("已超过 %(span)s") % {"span": _span(-seconds)}


@register.filter
def overdue(deadline: dt.datetime | None) -> bool:
    return deadline is not None and deadline < clock.now()


_STATE_CLASS = {
    "pending_review": "state-open", "delivered": "state-open", "negotiating": "state-open", "mediating": "state-open",
    "settled": "state-good", "mediated": "state-good",
    "failed": "state-bad", "rejected": "state-bad", "mediation_failed": "state-bad",
    "withdrawn": "state-done", "unresponsive": "state-done",
}


@register.filter
def state_class(state: str) -> str:
    return _STATE_CLASS.get(state, "state-done")


@register.filter
def state_label(state: str) -> str:
    """The label of a state value, in the active language."""
    return i18n.pick(State(state).label) if state in State.values else state


def _forwarded(c) -> bool:
    return getattr(c, "state", "") == "rejected" and bool(getattr(c, "forwarded_to", ""))


@register.filter
def order_state(c) -> str:
    """An order's state as people read it: one forwarded to another authority
    is "已转交 …", not "不予受理"."""
    if _forwarded(c):
        return gettext("已转交 %(to)s") % {"to": c.forwarded_to}
    return state_label(c.state)


@register.filter
def order_state_class(c) -> str:
    return "state-done" if _forwarded(c) else state_class(c.state)


@register.filter
def stars(n) -> str:
    """★★★☆☆ for 3 (of 5)."""
    try:
        n = max(0, min(5, int(n)))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.filter
def notice_label(event: str) -> str:
    return labels.notice_label(event)


@register.filter
def is_english(_value=None) -> bool:
    return i18n.is_english()
