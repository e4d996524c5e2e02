"""Pinyin initials of a business name, for search (``武汉热干面馆`` → ``whrgmg``)."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_KEEP = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 120  # Business.name_initials


def initials_for(name: str) -> str:
    """First letters of the pinyin of each character; Latin letters and digits
    are kept as they are (``KFC肯德基`` → ``kfckdj``); everything else is dropped."""
    letters = "".join(lazy_pinyin(name or "", style=Style.FIRST_LETTER))
    return _KEEP.sub("", letters.lower())[:MAX_LENGTH]
