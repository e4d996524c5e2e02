import re

from django.utils.translation import gettext as _

from hejie.core.errors import invalid

# Mainland mobile numbers: 11 digits, 1[3-9]x xxxx xxxx.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str | None, *, field: str = "phone") -> str:
    value = re.sub(r"[\s\-]", "", str(raw or ""))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not _MOBILE.match(value):
        raise invalid(field, _("请输入中国大陆11位手机号"))
    return value


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"
