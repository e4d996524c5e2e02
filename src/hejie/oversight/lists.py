"""Reads for the council's list pages beyond ``hejie.ratings.lists``: the
appeals waiting in a jurisdiction and the decisions taken there (who may
open an appeal's files: ``ratings.lists.appeal_file_open_for``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, Prefetch, QuerySet
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.businesses.models import Business
from hejie.businesses.selectors import business_get
from hejie.core.errors import NotFound
from hejie.ratings.models import BlacklistAppeal, BlacklistEntry, ListDecision

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.regions.models import Region

M = TypeVar("M", bound=Model)

DECISIONS_SHOWN = 50


def _in_region(qs: QuerySet[M], region: Region | None, prefix: str) -> QuerySet[M]:
    return qs.filter(**region.subtree_filter(prefix)) if region is not None else qs


def appeals_waiting(*, region: Region | None) -> QuerySet[BlacklistAppeal]:
    """Pending appeals against entries of businesses in ``region``'s subtree, oldest first, with their files."""
    qs = (BlacklistAppeal.objects.filter(status=BlacklistAppeal.Status.PENDING)
          .select_related("entry__business__region", "author").prefetch_related("files")
          .order_by("created_at", "id"))
    return _in_region(qs, region, "entry__business__")


def decisions(*, region: Region | None, limit: int = DECISIONS_SHOWN) -> list[ListDecision]:
    """The latest list decisions about businesses in ``region``'s subtree: who, when, why."""
    qs = ListDecision.objects.select_related("business", "actor").order_by("-created_at", "-id")
    return list(_in_region(qs, region, "business__")[:limit])


def entries_of_business(business_id: int) -> QuerySet[BlacklistEntry]:
    """A business's black-list entries that it may see (published or removed after publication), newest first,
    with their appeals and files and the decisions."""
    return (BlacklistEntry.objects.filter(business_id=business_id, published_at__isnull=False)
            .select_related("business")
            .prefetch_related(Prefetch("appeals", queryset=BlacklistAppeal.objects.prefetch_related("files")
                                       .order_by("created_at", "id")), "decisions")
            .order_by("-published_at", "-id"))


def may_appeal(entry: BlacklistEntry) -> bool:
    """Whether the business may appeal ``entry`` now (what the page offers; the
    service ``blacklist_appeal`` checks again): published, no appeal waiting.
    Uses the appeals ``entries_of_business`` prefetches."""
    return entry.status == BlacklistEntry.Status.PUBLISHED and not any(
        a.status == BlacklistAppeal.Status.PENDING for a in entry.appeals.all())


def applications_waiting(*, region: Region | None) -> QuerySet[Business]:
    """Businesses in ``region``'s subtree whose application to join waits for a decision, oldest first."""
    qs = Business.objects.filter(status=Business.Status.APPLIED).select_related("industry", "region")
    qs = qs.filter(**region.subtree_filter()) if region is not None else qs
    return qs.order_by("created_at", "id")


def business_overseen(user: Viewer, business_id: int | str) -> Business:
    """A business ``user`` oversees (council of its jurisdiction, operator); NotFound otherwise."""
    business = business_get(business_id)
    if not access.in_jurisdiction(user, business):
        raise NotFound(_("商户不存在"))
    return business
