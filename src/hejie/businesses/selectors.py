"""Reads of businesses: search (by name, pinyin initials, industry, place),
one by id, and the queryset a user may see."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.businesses.models import Business, Industry, Store
from hejie.core.errors import NotAllowed, NotFound, invalid
from hejie.regions.models import Region
from hejie.regions.selectors import region_get

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.accounts.models import User

SEARCH_LIMIT_MAX = 100


def business_search(
    *,
    q: str = "",
    industry: str | None = None,
    region_code: str | None = None,
    status: str | None = "active",
    limit: int = 20,
) -> list[Business]:
    """Businesses whose name contains ``q`` or whose pinyin initials start with
    it (``whrg`` finds 武汉热干面馆), in an industry, within a region's subtree.

    ``status=None`` searches every status. An unknown ``region_code`` raises
    ``InvalidInput`` on ``region_code``; an unknown industry simply finds nothing.
    """
    qs = Business.objects.select_related("industry", "region")
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        match = Q(name__icontains=q)
        initials = "".join(q.split()).lower()
        if initials.isascii() and initials.isalnum():
            match |= Q(name_initials__startswith=initials)
        qs = qs.filter(match)
    if industry:
        qs = qs.filter(industry_id=industry)
    if region_code:
        qs = qs.filter(**region_get(region_code, field="region_code").subtree_filter())
    limit = max(1, min(int(limit), SEARCH_LIMIT_MAX))
    return list(qs.order_by("name", "id")[:limit])


def business_get(id: int | str) -> Business:
    try:
        return Business.objects.select_related("industry", "region").get(pk=int(id))
    except (Business.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("商户不存在")) from None


def businesses_visible_to(user: Viewer) -> QuerySet[Business]:
    """Council staff: their jurisdiction's subtree; business staff: their own;
    operators: all; consumers and the public: active businesses (their record
    is public). Inactive accounts see nothing (``access.businesses_q``)."""
    return Business.objects.filter(access.businesses_q(user))


# ------------------------------------------------------------- the public face

# A business's record is public once it has joined: an active business, and a
# suspended one (its record does not vanish with the suspension). Applications
# (applied, refused) are seen only by their own staff, the council over them
# and operators.
PUBLIC_STATUSES = (Business.Status.ACTIVE, Business.Status.SUSPENDED)

_INDUSTRY_CODE = re.compile(r"[a-z0-9_-]{1,32}")
SEARCH_TEXT_MAX = 100


def industry_get(code: str | None, *, field: str = "industry") -> Industry:
    """The industry with this code, or ``InvalidInput`` on ``field``."""
    code = (code or "").strip()
    industry = Industry.objects.filter(code=code).first() if _INDUSTRY_CODE.fullmatch(code) else None
    if industry is None:
        raise invalid(field, _("未知的行业 %(code)s") % {"code": repr(code[:40])})
    return industry


def _search_text(q: str | None) -> str:
    q = (q or "").strip()
    if len(q) > SEARCH_TEXT_MAX:
        raise invalid("q", _("搜索词不能超过%(n)d个字") % {"n": SEARCH_TEXT_MAX})
    if any(unicodedata.category(c) == "Cc" for c in q):
        raise invalid("q", _("搜索词含有控制字符"))
    return q


def business_directory(
    *,
    user: Viewer = None,
    q: str | None = "",
    industry: str | None = None,
    region_code: str | None = None,
    status: str | None = None,
) -> QuerySet[Business]:
    """The directory: businesses matching ``q`` (part of the name, or the start
    of its pinyin initials), in an industry, within a region's subtree.

    Without ``status`` it lists the public record (active and suspended). With
    ``status`` it lists that status among what ``user`` may see, so council
    staff find their jurisdiction's applications with ``status=applied`` (the
    public finds none). Unknown industry, region or status: ``InvalidInput``.
    Unordered; the caller pages it.
    """
    q = _search_text(q)
    if status:
        if status not in Business.Status.values:
            raise invalid("status", _("未知的状态 %(status)s") % {"status": repr(status[:20])})
        if status in PUBLIC_STATUSES:
            qs = Business.objects.filter(status=status)
        else:
            viewer = user if getattr(user, "is_authenticated", False) else None
            qs = businesses_visible_to(viewer).filter(status=status)
    else:
        qs = Business.objects.filter(status__in=PUBLIC_STATUSES)
    if q:
        match = Q(name__icontains=q)
        initials = "".join(q.split()).lower()
        if initials.isascii() and initials.isalnum():
            match |= Q(name_initials__startswith=initials)
        qs = qs.filter(match)
    if industry:
        qs = qs.filter(industry=industry_get(industry))
    if region_code:
        qs = qs.filter(**region_get(region_code, field="region").subtree_filter())
    return qs.select_related("industry", "region")


def business_get_for(user: Viewer, business_id: int | str) -> Business:
    """A business as ``user`` may see it: any business on the public record,
    and applications only to their own staff, the council over them and
    operators. Otherwise ``NotFound`` (an application that is not yours does
    not exist for you)."""
    business = business_get(business_id)
    if business.status in PUBLIC_STATUSES:
        return business
    viewer = user if getattr(user, "is_authenticated", False) else None
    if viewer is not None and businesses_visible_to(viewer).filter(pk=business.pk).exists():
        return business
    raise NotFound(_("商户不存在"))


def stores_of(business: Business) -> QuerySet[Store]:
    return business.stores.select_related("region").order_by("name", "id")


def oversight_region(user: Viewer, region_code: str | None = None, *, field: str = "region") -> Region | None:
    """The region whose subtree ``user`` may oversee (council staff, operators).

    Council staff: their own region, or ``region_code`` if it lies in their
    subtree (``NotAllowed`` if it does not). Operators: ``region_code`` or
    ``None`` (the whole country). Anyone else: ``NotAllowed``. An unknown or
    malformed code: ``InvalidInput`` on ``field``.
    """
    region = region_get(region_code, field=field) if region_code else None
    if access.is_operator(user):
        return region
    if not access.is_council(user):
        raise NotAllowed(_("只有消委工作人员可以查看"))
    own = access.council_region(user)
    if region is None:
        return own
    if not access.within(own, region):
        raise NotAllowed(
            _("%(region)s不在您的辖区（%(own)s）内") % {"region": region.full_name, "own": own.full_name}
        )
    return region


# ======================================================================
# The workbench (issue 4): the cascading region picker and the staff list.
# ======================================================================

REGION_PICKER_DEPTH = 3


def picker_kind(options: Iterable[Region]) -> str:
    """What a level of the picker is called: by the shallowest division in it (Hubei's
    cities and its province-governed county-level cities are listed together as cities)."""
    level = min((r.level for r in options), default=3)
    return {1: "province", 2: "city"}.get(level, "county")


def region_picker(codes: Iterable[str | None]) -> dict[str, Any]:
    """The state of a cascading province → city → county picker from the codes chosen so
    far (one per select, in order): each level's ``options`` and ``selected`` code, the
    deepest valid ``region`` chosen and whether it is ``complete`` (it has no
    subdivisions). A code that is not a child of the one before it is dropped with
    everything after it, so a changed province clears the city and county."""
    codes = [str(c or "").strip() for c in codes][:REGION_PICKER_DEPTH]
    levels: list[dict[str, Any]] = []
    options = list(Region.objects.filter(parent__isnull=True).order_by("code"))
    region = None
    for i in range(REGION_PICKER_DEPTH):
        if not options:
            break
        wanted = codes[i] if i < len(codes) else ""
        chosen = next((r for r in options if r.code == wanted), None)
        levels.append({"kind": picker_kind(options), "options": options,
                       "selected": chosen.code if chosen else ""})
        if chosen is None:
            break
        region = chosen
        options = list(Region.objects.filter(parent_id=chosen.code).order_by("code"))
    complete = region is not None and not options
    return {"levels": levels, "region": region, "complete": complete, "code": region.code if region else ""}


def region_path_codes(region_code: str | None) -> list[str]:
    """The codes of a region and its ancestors, province first (to fill a picker)."""
    region = Region.objects.filter(code=(region_code or "").strip()[:6]).first()
    chain: list[str] = []
    while region is not None:
        chain.append(region.code)
        region = region.parent
    return chain[::-1]


def staff_list(*, actor: User | None, business: Business) -> QuerySet[User]:
    """The staff accounts of ``business`` (active first, then by name), for its admins."""
    if not access.may_manage_business(actor, business):
        raise NotAllowed(_("只有本商户的管理员可以管理员工账号"))
    return (access.business_staff(business.pk, active_only=False)
            .order_by("-is_active", "-is_business_admin", "username"))
