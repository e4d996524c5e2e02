"""Showing the domain's bilingual text in the reader's language.

Services and models speak both languages in one string, so that the API, the
CLI and the log read the same everywhere: messages as ``中文 (english)`` and
choice labels as ``中文 english``. The web pages show only the half that fits
the active language; text of any other shape is shown whole.
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


def pick(text) -> str:
    """The half of a bilingual ``text`` in the active language (the whole text if it is not bilingual)."""
    text = "" if text is None else str(text)
    parts = _split(text)
    if parts is None:
        return text
    zh, en = parts
    return en[:1].upper() + en[1:] if is_english() else zh


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def field_messages(exc, default: str = "form") -> dict[str, str]:
    """A refused service's messages by field, in the reader's language: each field's own
    message; a field that carries only a code (``{"credit_code": "duplicate"}``) gets the
    error's message; an error about no field goes under ``default``."""
    out = {field: pick(message if _CJK.search(str(message)) else exc.message)
           for field, message in (exc.fields or {}).items()}
    return out or {default: pick(exc.message)}


def form_errors(exc, inputs: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """``field_messages`` placed on a form: beside its input where ``inputs`` maps the
    service's field to one, otherwise once each at the top of the page (the list)."""
    errors: dict[str, str] = {}
    general: list[str] = []
    for field, message in field_messages(exc, default="").items():
        if field in inputs:
            errors.setdefault(inputs[field], message)
        elif message not in general:
            general.append(message)
    return errors, general
