"""Writes for service standards. Each service runs in one transaction, locks
the standard row before it checks the versions' state, then acts.

Who writes standards: the staff of the association that publishes the
standard (``ServiceStandard.publisher``, a partner of kind "association",
active), for the industries the council recorded for it
(``Partner.industries``), and only their own association's standards; and
operators, for every standard. Who accepts: the business's admin staff.

Joining the platform includes accepting the industry's standards in force:
``StandardsConfig.ready()`` plugs ``standards_in_force`` and
``standards_accept_on_joining`` into ``businesses.services`` (which sits below
standards and cannot import them).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.businesses.models import Business, Industry
from hejie.businesses.selectors import industry_get
from hejie.core import clock
from hejie.core.errors import Conflict, NotAllowed, NotFound, invalid
from hejie.core.validation import clean_text
from hejie.partners.models import Partner
from hejie.standards.models import ServiceStandard, StandardAcceptance, StandardClause, StandardVersion

if TYPE_CHECKING:
    from hejie.accounts.models import User

TITLE_MAX = 120
CLAUSE_TEXT_MAX = 4000
CLAUSE_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3}){0,4}")


def _text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    return clean_text(value, field=field, label=label, max_length=max_length, required=required)


def sort_key(number: str) -> str:
    """ "3.10" sorts after "3.2": each part zero-padded to three digits."""
    return ".".join(part.zfill(3) for part in number.split("."))


def _association_of(actor: User | None) -> Partner | None:
    """The active association ``actor`` works for, or None."""
    if not access.is_partner_staff(actor):
        return None
    partner = actor.partner
    if partner is None or partner.kind != Partner.Kind.ASSOCIATION or partner.status != Partner.Status.ACTIVE:
        return None
    return partner


def _check_writer(actor: User, standard: ServiceStandard | None = None, industry: Industry | None = None) -> None:
    """Operators write any standard; an association's staff only their own
    association's standards, in the industries it covers."""
    if access.is_operator(actor):
        return
    association = _association_of(actor)
    if association is None:
        raise NotAllowed(_("只有行业协会工作人员或运营人员可以编写和发布服务标准"))
    if standard is not None and standard.publisher_id != association.pk:
        raise NotAllowed(_("这不是本协会发布的标准"))
    industry_id = standard.industry_id if standard is not None else getattr(industry, "pk", None)
    if industry_id is not None and not association.industries.filter(pk=industry_id).exists():
        raise NotAllowed(_("本协会不负责该行业的服务标准"))


def _lock_standard(standard: ServiceStandard | int | str) -> ServiceStandard:
    pk = standard.pk if isinstance(standard, ServiceStandard) else standard
    try:
        return ServiceStandard.objects.select_for_update().get(pk=int(pk))
    except (ServiceStandard.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("服务标准不存在")) from None


def _version_of(standard: ServiceStandard, number: int | str) -> StandardVersion:
    try:
        return standard.versions.select_for_update().get(version=int(number))
    except (StandardVersion.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("该标准没有第%(version)s版") % {"version": number}) from None


@transaction.atomic
def standard_create(*, actor: User, industry: str, title: str, publisher_name: str = "",
                    publisher: Partner | int | None = None) -> ServiceStandard:
    """A standard for ``industry``. Its publisher is the actor's association
    (association staff), or the association ``publisher`` an operator names
    (or none)."""
    if not access.is_operator(actor):
        _check_writer(actor)
    industry_obj = industry_get(industry)
    title = _text(title, field="title", label="标准名称", max_length=TITLE_MAX)
    publisher_name = _text(publisher_name, field="publisher_name", label="发布机构", max_length=TITLE_MAX,
                           required=False)
    association = _association_of(actor) if not access.is_operator(actor) else None
    if association is not None:
        _check_writer(actor, industry=industry_obj)
        if publisher is not None and (getattr(publisher, "pk", publisher) != association.pk):
            raise NotAllowed(_("只能以本协会名义发布"))
    elif publisher is not None:
        try:
            association = Partner.objects.get(pk=int(publisher.pk if isinstance(publisher, Partner) else publisher),
                                              kind=Partner.Kind.ASSOCIATION)
        except (Partner.DoesNotExist, TypeError, ValueError, OverflowError):
            raise invalid("publisher", _("发布机构应为一个行业协会")) \
                from None
    if association is not None:
        publisher_name = association.name
    if ServiceStandard.objects.filter(industry=industry_obj, title=title).exists():
        raise Conflict(_("该行业已有同名标准"), code="duplicate")
    try:
        with transaction.atomic():
            return ServiceStandard.objects.create(industry=industry_obj, title=title, publisher_name=publisher_name,
                                                  publisher=association, created_at=clock.now())
    except IntegrityError:
        raise Conflict(_("该行业已有同名标准"),
                       code="duplicate") from None


@transaction.atomic
def version_draft(*, actor: User, standard: ServiceStandard | int | str) -> StandardVersion:
    """A new draft version, starting from a copy of the latest version's clauses."""
    standard = _lock_standard(standard)
    _check_writer(actor, standard)
    if standard.versions.filter(status=StandardVersion.Status.DRAFT).exists():
        raise Conflict(_("该标准已有一个草稿，请先发布它"), code="draft_exists")
    previous = standard.versions.order_by("-version").first()
    draft = StandardVersion.objects.create(standard=standard, version=(previous.version + 1) if previous else 1,
                                           created_at=clock.now())
    if previous is not None:
        StandardClause.objects.bulk_create(
            StandardClause(version=draft, number=c.number, sort_key=c.sort_key, text=c.text)
            for c in previous.clauses.all()
        )
    return draft


@transaction.atomic
def clause_set(*, actor: User, standard: ServiceStandard | int | str, version: int | str, number: str,
               text: str) -> StandardClause | None:
    """Write clause ``number`` of a draft version; an empty ``text`` removes it
    (and returns None). Published and withdrawn versions never change."""
    standard = _lock_standard(standard)
    _check_writer(actor, standard)
    version_obj = _version_of(standard, version)
    if version_obj.status != StandardVersion.Status.DRAFT:
        raise Conflict(_("第%(version)s版已发布，不能修改；请起草新版本") % {"version": version_obj.version},
                       code="version_closed")
    number = _text(number, field="number", label="条款编号", max_length=20)
    if not CLAUSE_NUMBER.fullmatch(number):
        raise invalid("number", _('条款编号应形如 "3" 或 "3.2"'))
    text = _text(text, field="text", label="条款内容", max_length=CLAUSE_TEXT_MAX, required=False)
    if not text:
        version_obj.clauses.filter(number=number).delete()
        return None
    clause, _created = StandardClause.objects.update_or_create(
        version=version_obj, number=number, defaults={"text": text, "sort_key": sort_key(number)},
    )
    return clause


@transaction.atomic
def version_publish(*, actor: User, standard: ServiceStandard | int | str, version: int | str) -> StandardVersion:
    """Put a draft in force; the version in force until now is withdrawn."""
    standard = _lock_standard(standard)
    _check_writer(actor, standard)
    version_obj = _version_of(standard, version)
    if version_obj.status != StandardVersion.Status.DRAFT:
        raise Conflict(_("第%(version)s版已经发布过") % {"version": version_obj.version},
                       code="version_closed")
    if not version_obj.clauses.exists():
        raise Conflict(_("没有条款的版本不能发布"), code="empty")
    now = clock.now()
    standard.versions.filter(status=StandardVersion.Status.PUBLISHED).update(
        status=StandardVersion.Status.WITHDRAWN, withdrawn_at=now
    )
    version_obj.status = StandardVersion.Status.PUBLISHED
    version_obj.published_at = now
    version_obj.published_by = actor
    version_obj.save(update_fields=["status", "published_at", "published_by"])
    return version_obj


def standards_in_force(industry: Industry) -> bool:
    """Whether ``industry`` has a standard with a version in force (one a joiner must accept)."""
    return StandardVersion.objects.filter(standard__industry=industry,
                                          status=StandardVersion.Status.PUBLISHED).exists()


@transaction.atomic
def standards_accept_on_joining(*, actor: User, business: Business) -> list[StandardAcceptance]:
    """Joining includes accepting the industry's standards in force, if any
    (``businesses.services.business_join`` and ``business_apply`` call it through
    the ``JoiningStandards`` that ``StandardsConfig.ready()`` registers); nothing to
    accept is not an error here."""
    if not StandardVersion.objects.filter(standard__industry_id=business.industry_id,
                                          status=StandardVersion.Status.PUBLISHED).exists():
        return []
    return standard_accept(actor=actor, business=business)


def standard_accept(*, actor: User, business: Business | int | str) -> list[StandardAcceptance]:
    """The business accepts the versions now in force of its industry's
    standards (one acceptance row per version; accepting again is a no-op)."""
    pk = business.pk if isinstance(business, Business) else business
    try:
        business = Business.objects.select_for_update().get(pk=int(pk))
    except (Business.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("商户不存在")) from None
    if not access.may_manage_business(actor, business):
        raise NotAllowed(_("只有商户管理员可以接受服务标准"))
    versions = list(StandardVersion.objects.filter(standard__industry_id=business.industry_id,
                                                   status=StandardVersion.Status.PUBLISHED))
    if not versions:
        raise Conflict(_("本行业暂无现行服务标准"), code="no_standard")
    now = clock.now()
    accepted = []
    for version in versions:
        acceptance, _created = StandardAcceptance.objects.get_or_create(
            business=business, version=version, defaults={"accepted_at": now, "accepted_by": actor},
        )
        accepted.append(acceptance)
    return accepted

