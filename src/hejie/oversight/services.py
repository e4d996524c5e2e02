"""Council writes that act on several orders at once. Each order goes through
the one service for it (``complaints.services``), in its own transaction, so
one refusal does not undo the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hejie.complaints import services as complaint_services
from hejie.complaints.models import Complaint
from hejie.core.errors import DomainError, invalid
from hejie.core.validation import clean_text

if TYPE_CHECKING:
    from hejie.accounts.models import User

BULK_MAX = 200


@dataclass
class BulkResult:
    urged: list[str] = field(default_factory=list)  # order numbers
    refused: list[tuple[str, str]] = field(default_factory=list)  # (order number or id, the service's message)


def urge_many(*, actor: User, complaint_ids: Iterable[int | str], note: str = "") -> BulkResult:
    """Urge each order of ``complaint_ids`` with the same note (``complaint_urge``
    for each). An order ``actor`` may not see is refused as "no such complaint",
    under its id (its number is not told); one in a state that cannot be
    urged is refused with the transition table's message."""
    note = clean_text(note, field="note", max_length=1000, required=False)
    ids: list[int] = []
    for raw in complaint_ids:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            continue
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise invalid("ids", _("请至少选择一件工单"))
    if len(ids) > BULK_MAX:
        raise invalid("ids", ngettext("一次最多催办%(n)d件", "一次最多催办%(n)d件", BULK_MAX) % {"n": BULK_MAX})
    numbers = dict(Complaint.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", "number"))
    result = BulkResult()
    for pk in ids:
        label = numbers.get(pk, f"#{pk}")
        try:
            complaint_services.complaint_urge(actor=actor, complaint=pk, note=note)
        except DomainError as exc:
            result.refused.append((label, exc.message))
        else:
            result.urged.append(label)
    return result
