"""Reads for partners: their imports and the record of the businesses they
brought. Partner staff see aggregates about their businesses only: never a
complaint's consumer, text or contact."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import BigIntegerField, Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from hejie.accounts import access
from hejie.businesses.models import Business
from hejie.complaints.policy import overdue_filters
from hejie.core import clock
from hejie.core.errors import NotAllowed, NotFound
from hejie.partners.models import ImportBatch, ImportRow, Partner

if TYPE_CHECKING:
    from hejie.accounts.models import User


def partner_of(user: User | None) -> Partner:
    """The active partner ``user`` works for, or ``NotAllowed``."""
    if not access.is_partner_staff(user):
        raise NotAllowed("只有合作方工作人员可以访问 (partner staff only)")
    partner = user.partner
    if partner.status != Partner.Status.ACTIVE:
        raise NotAllowed("合作方尚未通过审核或已暂停 (the partner is not active)")
    return partner


def partners_visible_to(user: User | None) -> QuerySet[Partner]:
    """Operators: all; council staff: partners registered in their
    jurisdiction; partner staff: their own. Nobody else sees applications
    (``access.partners_q``)."""
    return Partner.objects.filter(access.partners_q(user))


def partner_get_for(user: User | None, partner_id) -> Partner:
    try:
        return (partners_visible_to(user).select_related("region").prefetch_related("industries")
                .get(pk=int(partner_id)))
    except (Partner.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("合作方不存在 (no such partner)") from None


def imports_visible_to(user: User | None) -> QuerySet[ImportBatch]:
    """Operators: all; partner staff: their partner's (``access.imports_q``)."""
    return ImportBatch.objects.filter(access.imports_q(user))


def import_get_for(user: User | None, batch_id) -> ImportBatch:
    try:
        return imports_visible_to(user).select_related("partner").get(pk=int(batch_id))
    except (ImportBatch.DoesNotExist, TypeError, ValueError):
        raise NotFound("导入批次不存在 (no such import)") from None


def import_rows(batch: ImportBatch, *, outcome: str | None = None) -> QuerySet[ImportRow]:
    qs = batch.rows.all()
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("line")


def partner_businesses(user: User | None) -> QuerySet[Business]:
    """The businesses the user's partner brought, each annotated with its
    record: complaints, settled, failed, overdue now, and the order volume the
    partner reported for it (latest import). One query per page."""
    partner = partner_of(user)
    now = clock.now()
    overdue = overdue_filters(now)
    volume = (ImportRow.objects.filter(business_id=OuterRef("pk"), data__has_key="order_volume")
              .order_by("-batch_id").values(v=Cast(KT("data__order_volume"), BigIntegerField()))[:1])
    return (
        Business.objects.filter(partner=partner)
        .select_related("industry", "region")
        .annotate(
            complaints_total=Count("complaints", distinct=True),
            settled=Count("complaints", filter=Q(complaints__settled_at__isnull=False), distinct=True),
            failed=Count("complaints", filter=Q(complaints__stars=0, complaints__scored_at__isnull=False),
                         distinct=True),
            overdue=Count("complaints", filter=_prefixed(overdue["awaiting_first_response"])
                          | _prefixed(overdue["past_settle_by"]), distinct=True),
            order_volume=Subquery(volume),
        )
    )


def _prefixed(q: Q) -> Q:
    """``overdue_filters`` speaks of a complaint; here they are reached from a business."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    out.children = [_prefixed(c) if isinstance(c, Q) else (f"complaints__{c[0]}", c[1]) for c in q.children]
    return out
