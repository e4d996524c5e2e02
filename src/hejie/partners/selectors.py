"""Reads for partners: who they are and their imports. The record of the
businesses they brought reads complaints, so it is
``complaints.selectors.partner_businesses``; partner staff see aggregates about
their businesses only there: never a complaint's consumer, text or contact."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hejie.accounts import access
from hejie.core.errors import NotAllowed, NotFound
from hejie.partners.models import ImportBatch, ImportRow, Partner

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer


def partner_of(user: Viewer) -> Partner:
    """The active partner ``user`` works for, or ``NotAllowed``."""
    if not access.is_partner_staff(user):
        raise NotAllowed(_("只有合作方工作人员可以访问"))
    partner = user.partner
    if partner is None or partner.status != Partner.Status.ACTIVE:
        raise NotAllowed(_("合作方尚未通过审核或已暂停"))
    return partner


def partners_visible_to(user: Viewer) -> QuerySet[Partner]:
    """Operators: all; council staff: partners registered in their
    jurisdiction; partner staff: their own. Nobody else sees applications
    (``access.partners_q``)."""
    return Partner.objects.filter(access.partners_q(user))


def partner_get_for(user: Viewer, partner_id: int | str) -> Partner:
    try:
        return (partners_visible_to(user).select_related("region").prefetch_related("industries")
                .get(pk=int(partner_id)))
    except (Partner.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("合作方不存在")) from None


def imports_visible_to(user: Viewer) -> QuerySet[ImportBatch]:
    """Operators: all; partner staff: their partner's (``access.imports_q``)."""
    return ImportBatch.objects.filter(access.imports_q(user))


def import_get_for(user: Viewer, batch_id: int | str) -> ImportBatch:
    try:
        return imports_visible_to(user).select_related("partner").get(pk=int(batch_id))
    except (ImportBatch.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("导入批次不存在")) from None


def import_rows(batch: ImportBatch, *, outcome: str | None = None) -> QuerySet[ImportRow]:
    qs = batch.rows.all()
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("line")
