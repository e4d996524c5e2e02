"""Bilingual text that is stored, read in the active language.

Messages and labels are gettext (Chinese msgids, English in the catalogs), so
they arrive already in the active language. What remains bilingual is text
written once and read later in either language: the reasons the platform
stores on an order or a list entry (``中文 (english)``) and names kept in both
languages (an industry's ``中文 (english)``). ``pick`` keeps only the half that
fits the active language; text of any other shape (a translated message) is
kept whole. It lives here, on the floor, because pages, exports and reports all
need it (``web.i18n`` re-exports it for the pages).
"""

from __future__ import annotations

import re

from django.utils.translation import get_language

_LABEL = re.compile(r"^(\S*[^\x00-\x7f]\S*)\s+([A-Za-z][ -~]*)$")


def _split(text: str) -> tuple[str, str] | None:
    text = text.strip()
    if text.endswith(")"):
        # the last " (" whose parenthesis closes at the very end
        depth = 0
        for i in range(len(text) - 1, -1, -1):
            if text[i] == ")":
                depth += 1
            elif text[i] == "(":
                depth -= 1
                if depth == 0:
                    zh, en = text[:i].strip(), text[i + 1:-1].strip()
                    if zh and en and not zh.isascii():
                        return zh, en
                    return None
        return None
    match = _LABEL.match(text)
    if match:
        return match.group(1), match.group(2)
    return None


def is_english() -> bool:
    return (get_language() or "").lower().startswith("en")


def pick(text: object) -> str:
    """The half of a bilingual ``text`` in the active language (the whole text if it is not bilingual)."""
    text = "" if text is None else str(text)
    parts = _split(text)
    if parts is None:
        return text
    zh, en = parts
    return en[:1].upper() + en[1:] if is_english() else zh
