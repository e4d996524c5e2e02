from django.utils.translation import gettext as _

from hejie.core.errors import invalid
from hejie.regions.models import Region


def region_get(code: str | None, *, field: str = "region") -> Region:
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise invalid(field, _("地区代码应为6位数字，收到 %(code)s") % {"code": repr(code)})
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise invalid(field, _("未知的地区代码 %(code)s") % {"code": code}) from None


def region_children(code: str | None) -> list[Region]:
    return list(Region.objects.filter(parent_id=code).order_by("code"))
