"""Reads of businesses: search (by name, pinyin initials, industry, place),
one by id, and the queryset a user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from hejie.businesses.models import Business
from hejie.businesses.permissions import is_operator
from hejie.core.errors import NotFound
from hejie.regions.selectors import region_get

if TYPE_CHECKING:
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
        raise NotFound("商户不存在 (no such business)") from None


def businesses_visible_to(user: User | None) -> QuerySet[Business]:
    """Council staff: their jurisdiction's subtree; business staff: their own;
    operators: all; consumers and the public: active businesses (their record
    is public). Inactive accounts see nothing."""
    qs = Business.objects.all()
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.filter(status=Business.Status.ACTIVE)
    if not user.is_active:
        return qs.none()
    if is_operator(user):
        return qs
    if user.role == "council":
        return qs.filter(**user.region.subtree_filter()) if user.region_id else qs.none()
    if user.role == "business":
        return qs.filter(pk=user.business_id) if user.business_id else qs.none()
    return qs.filter(status=Business.Status.ACTIVE)
