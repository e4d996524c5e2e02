"""Keyset (cursor) pagination with a hard maximum page size.

A cursor names the last row seen (its ordering value and id), so a page
costs the same on page 1 and page 10,000 and rows added meanwhile do not
shift the pages.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from hejie.core.errors import invalid

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def _encode(value, pk: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, dt.datetime) else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int):
            raise ValueError
        return value, pk
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("cursor", _("无效的翻页游标")) from None


def page_size(size: int | None) -> int:
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 1 or size > MAX_PAGE_SIZE:
        raise invalid("size", _("每页1到%(max)d条") % {"max": MAX_PAGE_SIZE})
    return size


def keyset_page(qs: QuerySet, *, field: str, cursor: str | None, size: int | None,
                datetime_field: bool = True) -> tuple[list, str | None]:
    """Newest first by ``field`` then id. Returns (rows, next cursor or None)."""
    size = page_size(size)
    qs = qs.order_by(f"-{field}", "-pk")
    if cursor:
        value, pk = _decode(cursor)
        if datetime_field:
            try:
                value = dt.datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise invalid("cursor", _("无效的翻页游标")) from None
        qs = qs.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": pk}))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = _encode(getattr(rows[-1], field), rows[-1].pk) if more and rows else None
    return rows, next_cursor
