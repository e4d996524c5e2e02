"""The one clock. Every rule that depends on time reads ``now()``.

Tests travel with time-machine (which moves ``timezone.now`` too). The demo
loader and operators can set the clock for a block of code with ``travel``,
e.g. to file a demo complaint "nine days ago" through the real services.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("hejie_now", default=None)


def now() -> dt.datetime:
    value = _override.get()
    return value if value is not None else timezone.now()


@contextlib.contextmanager
def travel(moment: dt.datetime) -> Iterator[None]:
    if timezone.is_naive(moment):
        raise ValueError("travel() needs an aware datetime")
    token = _override.set(moment.astimezone(dt.UTC))
    try:
        yield
    finally:
        _override.reset(token)


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date in Asia/Shanghai (order numbers, daily figures)."""
    return (moment or now()).astimezone(SHANGHAI).date()
