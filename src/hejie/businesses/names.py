"""Pinyin initials of a business name, for search (``武汉热干面馆`` → ``whrgmg``).

pypinyin is imported on the first call, not with the app: its phrase dictionary takes about 40 MiB,
which a web or worker process that never names a business should not carry."""

from __future__ import annotations

import re

_KEEP = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 120  # Business.name_initials


def initials_for(name: str) -> str:
    """First letters of the pinyin of each character; Latin letters and digits
    are kept as they are (``KFC肯德基`` → ``kfckdj``); everything else is dropped."""
    from pypinyin import Style, lazy_pinyin

    letters = "".join(lazy_pinyin(name or "", style=Style.FIRST_LETTER))
    return _KEEP.sub("", letters.lower())[:MAX_LENGTH]
