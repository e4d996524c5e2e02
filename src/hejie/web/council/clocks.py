"""The council's own queues by their clocks (part of the council area: see ``web/council/urls.py``):
the review queue, the mediations under way and the appeals waiting, each by time left with the overdue
first, showing 剩余/超期 N 个工作日; and what the order page and the dashboard show of them. A thin face
over ``hejie.oversight.clocks``."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from hejie.complaints.policy import get_policy
from hejie.core import clock
from hejie.core.errors import InvalidInput, NotAllowed
from hejie.oversight import clocks
from hejie.web.council.common import council_only

QUEUE_TABS = (
    (clocks.REVIEW, gettext_lazy("待审核")),
    (clocks.MEDIATION, gettext_lazy("调解中")),
    (clocks.APPEALS, gettext_lazy("黑榜申诉")),
)


def standing(item: clocks.Item) -> dict[str, object]:
    """How an item's clock reads: its text and whether it is late (the page marks it)."""
    if item.deadline is None:
        return {"text": _("等待商家认领，不计时"), "late": False, "due": ""}
    due = f"{item.last_day:%Y-%m-%d}"
    if item.is_overdue:
        n = item.overdue or 0
        text = ngettext("超期 %(n)d 个工作日", "超期 %(n)d 个工作日", n) % {"n": n} if n else _("已超期")
        return {"text": text, "late": True, "due": due}
    if not item.left:
        return {"text": _("今日到期"), "late": False, "due": due}
    return {"text": ngettext("剩余 %(n)d 个工作日", "剩余 %(n)d 个工作日", item.left) % {"n": item.left},
            "late": False, "due": due}


def _row(item: clocks.Item) -> dict[str, object]:
    order = item.order
    business = order.business_display_name if order is not None else item.row.entry.business
    return {"item": item, "order": order, "business": business, "standing": standing(item),
            "region": clocks.regional(item.queue, item.row).region}


@require_GET
@council_only
def queues_page(request, queue: str = clocks.REVIEW):
    if queue not in clocks.QUEUES:
        raise Http404("no such queue")
    now = clock.now()
    try:
        rows = clocks.council_queue(request.user, queue, now=now, region_code=request.GET.get("region") or None)
    except (NotAllowed, InvalidInput):
        raise Http404("not in your jurisdiction") from None
    totals = clocks.queue_totals(request.user, now=now)
    tabs = [(q, label, totals[q][0], totals[q][1]) for q, label in QUEUE_TABS]
    return render(request, "web/council/queues.html", {
        "queue": queue, "tabs": tabs, "rows": [_row(i) for i in rows], "as_of": now,
        "capped": len(rows) >= clocks.QUEUE_MAX, "queue_max": clocks.QUEUE_MAX, "policy": get_policy(),
    })


def dashboard_clocks(user, region) -> dict[str, object]:
    """The dashboard's part: each queue's open and overdue items, and the children's overdue counts."""
    now = clock.now()
    totals = clocks.queue_totals(user, now=now)
    children = clocks.overdue_by_child(user, now=now, region_code=region.code if region is not None else None)
    return {"clock_tabs": [(q, label, totals[q][0], totals[q][1]) for q, label in QUEUE_TABS],
            "children_overdue": children, "children_any": any(c.total for c in children)}


def order_clock(order) -> dict[str, object] | None:
    """The order page's council clock: the review deadline in the review queue, or the mediation's."""
    item = clocks.review_deadline(order) or clocks.mediation_clock(order)
    if item is None:
        return None
    return {"item": item, "standing": standing(item), "mediation": item.row if item.queue == clocks.MEDIATION
            else None}
