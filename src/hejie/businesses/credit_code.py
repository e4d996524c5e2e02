"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from the code alphabet (0-9 and A-Z without I, O, S, V, Z):

* 1: registration authority (登记管理部门), 2: entity type (机构类别)
* 3-8: registration region (登记管理机关行政区划码), six digits
* 9-17: organisation body (主体标识码)
* 18: check character

``stdnum.cn.uscc`` computes the check character, but its ``validate``
insists that the first eight characters are digits. Registration authorities
outside the usual 1-9 are letters (``Y`` for "other", and ``A``..``N`` added
since), so positions 1-2 are checked against the code alphabet here and
``uscc.validate`` is used only for codes that start with two digits.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

from hejie.core.errors import InvalidInput, invalid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18

_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_credit_code(raw: str | None) -> str:
    """Uppercase, full-width to ASCII, spaces and hyphens removed."""
    text = unicodedata.normalize("NFKC", raw or "")
    return uscc.compact(_SEPARATORS.sub("", text))


def validate_credit_code(raw: str | None, *, field: str = "credit_code") -> str:
    """Return the normalised code, or raise ``InvalidInput`` on ``field``."""
    number = normalise_credit_code(raw)
    if not number:
        raise invalid(field, _("请填写统一社会信用代码"), code="required")
    if len(number) != LENGTH:
        raise invalid(
            field,
            _("统一社会信用代码应为18位，实为%(n)d位") % {"n": len(number)},
            code="credit_code_length",
        )
    chars_error = invalid(
        field,
        _("统一社会信用代码含有不允许的字符：只能是数字和除 I、O、S、V、Z 以外的大写字母，第3至8位须为数字"),
        code="credit_code_chars",
    )
    if any(c not in ALPHABET for c in number) or not number[2:8].isdigit():
        raise chars_error
    checksum_error = invalid(
        field,
        _("统一社会信用代码的校验位不正确，请核对"),
        code="credit_code_check",
    )
    if number[:2].isdigit():
        try:
            return uscc.validate(number)
        except stdnum_errors.InvalidChecksum:
            raise checksum_error from None
        except stdnum_errors.ValidationError:  # pragma: no cover - the checks above cover stdnum's
            raise chars_error from None
    if number[-1] != uscc.calc_check_digit(number[:-1]):
        raise checksum_error
    return number


def is_valid_credit_code(raw: str | None) -> bool:
    try:
        validate_credit_code(raw)
    except InvalidInput:
        return False
    return True
