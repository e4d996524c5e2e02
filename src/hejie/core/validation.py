"""Text input, checked the same way by every service."""

from __future__ import annotations

from hejie.core.errors import invalid


def clean_text(value: object, *, field: str, max_length: int, label: str | None = None, min_length: int = 1,
               required: bool = True) -> str:
    """Strip ``value`` and check it: text, present if required, within the
    lengths, and storable (PostgreSQL cannot hold NUL, UTF-8 no lone surrogate).
    Raises a one-field InvalidInput naming ``field``."""
    label = label or ""
    if value is not None and not isinstance(value, str):
        raise invalid(field, f"{label}应为文字 ({field} must be text)")
    text = (value or "").strip()
    if not text:
        if required:
            raise invalid(field, f"请填写{label} ({field} is required)" if label else "不能为空 (required)",
                          code="required")
        return ""
    if len(text) < min_length:
        raise invalid(field, f"{label}至少{min_length}个字 (at least {min_length} characters)")
    if len(text) > max_length:
        raise invalid(field, f"{label}不能超过{max_length}个字 (at most {max_length} characters)")
    if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        raise invalid(field, f"{label}含有无法保存的控制字符 (contains characters that cannot be stored)")
    return text
