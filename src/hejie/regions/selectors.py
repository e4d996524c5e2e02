from hejie.core.errors import invalid
from hejie.regions.models import Region


def region_get(code: str | None, *, field: str = "region") -> Region:
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise invalid(field, f"地区代码应为6位数字 (region code must be 6 digits), got {code!r}")
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise invalid(field, f"未知的地区代码 {code} (unknown region code)") from None


def region_children(code: str | None) -> list[Region]:
    return list(Region.objects.filter(parent_id=code).order_by("code"))
