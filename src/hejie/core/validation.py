"""Text input, checked the same way by every service."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hejie.core.errors import invalid


def clean_text(value: object, *, field: str, max_length: int, label: str | None = None, min_length: int = 1,
               required: bool = True) -> str:
    """Strip ``value`` and check it: text, present if required, within the
    lengths, and storable (PostgreSQL cannot hold NUL, UTF-8 no lone surrogate).
    Raises a one-field InvalidInput naming ``field``. ``label`` is the field's
    name in Chinese, a msgid: it is translated here, with the message."""
    label = _(label) if label else ""
    named = {"label": label}
    if value is not None and not isinstance(value, str):
        raise invalid(field, _("%(label)s应为文字") % named if label else _("应为文字"))
    text = (value or "").strip()
    if not text:
        if required:
            raise invalid(field, _("请填写%(label)s") % named if label else _("不能为空"), code="required")
        return ""
    if len(text) < min_length:
        n = min_length
        message = (ngettext("%(label)s至少%(n)d个字", "%(label)s至少%(n)d个字", n) if label
                   else ngettext("至少%(n)d个字", "至少%(n)d个字", n))
        raise invalid(field, message % {**named, "n": n})
    if len(text) > max_length:
        n = max_length
        message = (ngettext("%(label)s不能超过%(n)d个字", "%(label)s不能超过%(n)d个字", n) if label
                   else ngettext("不能超过%(n)d个字", "不能超过%(n)d个字", n))
        raise invalid(field, message % {**named, "n": n})
    if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        raise invalid(field, _("%(label)s含有无法保存的控制字符") % named if label else _("含有无法保存的控制字符"))
    return text


EMAIL_MAX = 254


def clean_email(value: object, *, field: str = "email") -> str:
    """An e-mail address stripped and checked (Django's validator), or "" when none is given.
    Raises a one-field InvalidInput naming ``field``."""
    text = str(value or "").strip()
    if not text:
        return ""
    if len(text) > EMAIL_MAX:
        raise invalid(field, _("邮箱地址过长"))
    try:
        validate_email(text)
    except ValidationError:
        raise invalid(field, _("邮箱地址格式不正确")) from None
    return text
