"""Showing the domain's bilingual text in the reader's language, on the pages.

``pick`` and ``is_english`` are ``hejie.core.i18n``'s (exports and reports need
them too); here is what only forms need: a refused service's messages placed by
field.
"""

from __future__ import annotations

import re

from hejie.core.i18n import is_english, pick

__all__ = ["field_messages", "form_errors", "is_english", "pick"]

_CODE = re.compile(r"[a-z][a-z0-9_ ]*")  # a field that carries a code ("duplicate"), not a message


def field_messages(exc, default: str = "form") -> dict[str, str]:
    """A refused service's messages by field, in the reader's language: each field's own
    message; a field that carries only a code (``{"credit_code": "duplicate"}``) gets the
    error's message; an error about no field goes under ``default``."""
    out = {field: pick(exc.message if _CODE.fullmatch(str(message)) else message)
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
