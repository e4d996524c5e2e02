"""Reads of service standards and the clause check for citations. (The
council's ranking of the clauses cited most reads complaints: it is
``complaints.selectors.clauses_cited``.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.businesses.selectors import industry_get
from hejie.core.errors import NotFound, invalid
from hejie.standards.models import ServiceStandard, StandardClause, StandardVersion

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.businesses.models import Business

MAX_ID = 2**63 - 1


def standards_published(*, industry: str | None = None) -> list[ServiceStandard]:
    """Standards with a version in force, each with ``current`` (that version)."""
    qs = (ServiceStandard.objects.select_related("industry")
          .filter(versions__status=StandardVersion.Status.PUBLISHED)
          .prefetch_related(Prefetch("versions", to_attr="current_versions",
                                     queryset=StandardVersion.objects.filter(
                                         status=StandardVersion.Status.PUBLISHED)))
          .order_by("industry__position", "industry_id", "title"))
    if industry:
        qs = qs.filter(industry=industry_get(industry))
    standards: list[ServiceStandard] = []
    for s in qs:
        s.current = s.current_versions[0]
        standards.append(s)
    return standards


def standard_get(*, user: Viewer, standard_id: int | str,
                 version: int | None = None) -> tuple[ServiceStandard, StandardVersion, list[StandardVersion]]:
    """The standard, the version asked for (default: the one in force) and
    every version the caller may see. Drafts are shown to operators and to
    the staff of the publishing association; a standard with nothing
    published does not exist for anyone else."""
    try:
        pk = int(standard_id)
    except (TypeError, ValueError):
        raise NotFound(_("服务标准不存在")) from None
    standard = ServiceStandard.objects.select_related("industry").filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if standard is None:
        raise NotFound(_("服务标准不存在"))
    versions = list(standard.versions.all())
    writer = access.is_operator(user) or access.is_partner_staff_of(user, standard.publisher_id)
    if not writer:
        versions = [v for v in versions if v.status != StandardVersion.Status.DRAFT]
    if not versions:
        raise NotFound(_("服务标准不存在"))
    if version is None:
        chosen = next((v for v in versions if v.status == StandardVersion.Status.PUBLISHED), versions[-1])
    else:
        found = next((v for v in versions if v.version == version), None)
        if found is None:
            raise NotFound(_("该标准没有第%(version)s版") % {"version": version})
        chosen = found
    chosen.clause_list = list(chosen.clauses.all())
    return standard, chosen, versions


def clauses_citable(business: Business | None) -> QuerySet[StandardClause]:
    """The clauses either side may cite in an order against ``business`` (the rule of
    ``clause_citable``), by standard and clause number: for a picker."""
    if business is None:
        return StandardClause.objects.none()
    return (
        StandardClause.objects.select_related("version__standard")
        .filter(Q(version__status=StandardVersion.Status.PUBLISHED,
                  version__standard__industry_id=business.industry_id)
                | Q(version__acceptances__business_id=business.pk))
        .distinct()
        .order_by("version__standard__title", "version__version", "sort_key")
    )


def clause_citable(*, business: Business | None, clause_id: int | str) -> StandardClause:
    """The clause, if it may be cited in an order against ``business``: it
    belongs to the version in force of a standard of the business's industry,
    or to a version the business accepted. Otherwise ``InvalidInput``."""
    message = _("不能引用该条款：它不属于本商户所在行业的现行标准或商户已接受的版本")
    try:
        pk = int(clause_id)
    except (TypeError, ValueError):
        raise invalid("clause_id", message) from None
    if business is None or not 0 < pk <= MAX_ID:
        raise invalid("clause_id", message)
    clause = clauses_citable(business).filter(pk=pk).first()
    if clause is None:
        raise invalid("clause_id", message)
    return clause
