"""The one clock. Every rule that depends on time reads ``now()``.

Tests travel with time-machine (which moves ``timezone.now`` too). The demo
loader and operators can set the clock for a block of code with ``travel``,
e.g. to file a demo complaint "nine days ago" through the real services.

Across processes (a web server, a Celery worker and beat in an end-to-end test) the clock is
moved by a file: with ``HEJIE_CLOCK_FILE`` set, ``now()`` adds the number of seconds the file
holds (a float, e.g. ``1209601``; missing or empty: 0) to the real time, re-read whenever the
file changes. Every process started with the same variable moves together. It is for tests and
rehearsals only: the production settings refuse it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("hejie_now", default=None)


class OffsetFile:
    """The offset, in seconds, held by a file; re-read when its modification time or size changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._offset = dt.timedelta(0)

    def offset(self) -> dt.timedelta:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._offset = None, dt.timedelta(0)
            return self._offset
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            with open(self.path, encoding="ascii") as f:
                text = f.read().strip()
            try:
                self._offset = dt.timedelta(seconds=float(text or 0))
            except ValueError:
                raise ValueError(f"HEJIE_CLOCK_FILE {self.path}: not a number of seconds: {text!r}") from None
            self._stamp = stamp
        return self._offset


_offset_file: OffsetFile | None = OffsetFile(os.environ["HEJIE_CLOCK_FILE"]) if os.environ.get(
    "HEJIE_CLOCK_FILE") else None


def now() -> dt.datetime:
    value = _override.get()
    if value is not None:
        return value
    if _offset_file is not None:
        return timezone.now() + _offset_file.offset()
    return timezone.now()


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
