"""Council writes that act on several orders at once. Each order goes through
the one service for it (``complaints.services``), in its own transaction, so
one refusal does not undo the others. And the sweep's step on the clocks of the
council's own queues (``council_clocks_due``): reminders and urges to its staff."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hejie.accounts import access
from hejie.complaints import services as complaint_services
from hejie.complaints.models import Complaint
from hejie.complaints.policy import get_policy
from hejie.core import clock
from hejie.core.errors import DomainError, invalid
from hejie.core.validation import clean_text
from hejie.notifications.services import notify
from hejie.oversight import clocks
from hejie.oversight.digest import _both
from hejie.workdays import calendar

if TYPE_CHECKING:
    from hejie.accounts.models import User

BULK_MAX = 200
BATCH = 500  # items of each council queue a sweep pass looks at (the overdue and nearest first)

logger = logging.getLogger("hejie.sweep")


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


# --- the clocks on the council's own queues: reminders and urges (a step of the sweep) ----------

QUEUE_LABELS = {
    clocks.REVIEW: gettext_lazy("待审核投诉"),
    clocks.MEDIATION: gettext_lazy("调解"),
    clocks.APPEALS: gettext_lazy("黑榜申诉"),
}
DUE, OVERDUE = "council_queue_due", "council_queue_overdue"  # notice events, of the kind ``council_queue``


def _councils(row: Any, cache: dict[tuple[str | None, ...], tuple[list[User], list[User]]]
              ) -> tuple[list[User], list[User]]:
    """The council answerable for ``row`` (a row carrying ``region_l1/l2/l3``): the staff of its most local
    region that has any, and the council above that one (its parent), as (own, parent)."""
    codes = (row.region_l3, row.region_l2, row.region_l1)
    if codes not in cache:
        staff = list(access.council_members(codes))
        levels = [[u for u in staff if u.region_id == code] for code in codes if code]
        manned = [people for people in levels if people]
        cache[codes] = (manned[0] if manned else [], manned[1] if len(manned) > 1 else [])
    return cache[codes]


def _what(item: clocks.Item) -> str:
    if item.order is not None:
        return item.order.number
    return str(item.row.entry.business.name)


def _url(item: clocks.Item) -> str:
    return f"/council/orders/{item.order.pk}/" if item.order is not None else "/council/lists/"


def council_clocks_due(*, now: dt.datetime | None = None) -> int:
    """Remind the answerable council's staff ``council_reminder_workdays`` before each deadline of their
    queues (review, mediation, appeals), and urge them, with the council above, once it has passed: each
    once per deadline (``reminded_at``, ``urged_at``, claimed by a conditional update before the notice,
    so a second pass sends nothing; an extended mediation is reminded and urged afresh). An item already
    overdue when first seen is only urged. Through ``notify`` (kind ``council_queue``, each person's
    channels). Returns how many notices went out."""
    now = now or clock.now()
    n = get_policy().council_reminder_workdays
    horizon = now + dt.timedelta(days=2 * n + 14)  # a reminder is due at most this long before a deadline
    cache: dict[tuple[str | None, ...], tuple[list[User], list[User]]] = {}
    sent = 0
    for queue in clocks.QUEUES:
        field = clocks.spec(queue).deadline
        reminded, urged = ("review_reminded_at", "review_urged_at") if queue == clocks.REVIEW else (
            "reminded_at", "urged_at")
        open_rows = clocks.in_region(queue, None)
        due = open_rows.filter(Q(**{f"{urged}__isnull": True, f"{field}__lte": now})
                               | Q(**{f"{reminded}__isnull": True, f"{field}__lte": horizon}))
        for item in clocks.items(queue, list(clocks.by_time_left(due, queue)[:BATCH]), now=now):
            deadline = item.deadline
            if deadline is None:  # pragma: no cover - filtered on the deadline
                continue
            if item.is_overdue:
                claimed = {urged: now, reminded: Coalesce(F(reminded), Value(now))}
                event, when = OVERDUE, {urged: None}
            elif getattr(item.row, reminded) is None and now >= calendar.remind_from(deadline, n):
                claimed, event, when = {reminded: now}, DUE, {reminded: None}
            else:
                continue
            try:
                with transaction.atomic():
                    lookups = {f"{k}__isnull": True for k in when}
                    if not open_rows.filter(pk=item.row.pk, **lookups).update(**claimed):
                        continue  # decided meanwhile, or another pass was first
                    sent += _tell(item, event, cache)
            except Exception:  # one item's trouble must not stop the others; the next pass tries again
                logger.exception("the council clock notice for %s %s failed", queue, item.row.pk)
    return sent


def _tell(item: clocks.Item, event: str, cache: dict[tuple[str | None, ...], tuple[list[User], list[User]]]
          ) -> int:
    regional = clocks.regional(item.queue, item.row)
    own, parent = _councils(regional, cache)
    label, what = QUEUE_LABELS[item.queue], _what(item)
    day = f"{item.last_day:%Y-%m-%d}"
    told = 0
    if event == DUE:
        title = _both(lambda: _("%(queue)s即将到期：%(what)s") % {"queue": label, "what": what})
        body = _both(lambda: _("请在 %(day)s 当天结束前处理。") % {"day": day})
        told += len(notify(users=own, event=DUE, title=title, body=body, complaint=item.order, url=_url(item),
                           bilingual=True))
        return told
    title = _both(lambda: _("%(queue)s已超期：%(what)s") % {"queue": label, "what": what})
    body = _both(lambda: _("处理期限 %(day)s 已过，请尽快处理。") % {"day": day})
    told += len(notify(users=own, event=OVERDUE, title=title, body=body, complaint=item.order, url=_url(item),
                       bilingual=True))
    if parent:
        region = regional.region
        body = _both(lambda: _("%(region)s的%(queue)s %(what)s 已超过处理期限 %(day)s。")
                     % {"region": region.name, "queue": label, "what": what, "day": day})
        told += len(notify(users=parent, event=OVERDUE, title=title, body=body, complaint=item.order,
                           url=_url(item), bilingual=True))
    return told
