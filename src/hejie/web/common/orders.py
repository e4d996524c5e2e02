"""The inbox ("我的投诉" / a business's orders) and the order page with every
action for both sides.

Thin faces: each action is a small form that POSTs to its own URL and calls
the one service; what a person may do is ``complaints.selectors.actions_for``
(the page offers only that) and the services check everything again when the
action is taken. An order that is not yours is a 404, never a 403. After an
action: a redirect to the order page with a short confirmation; a refused
action re-renders the page with the service's message beside the field, the
typed text kept, and the error's status.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hejie.accounts import access
from hejie.complaints import evidence as evidence_files
from hejie.complaints import services
from hejie.complaints.selectors import (
    actions_for,
    citable_clauses,
    complaint_get_for,
    inbox_for,
    inbox_views,
    order_page_get_for,
)
from hejie.complaints.services import MEDIATION_ROUTES, complaint_viewed, side_of
from hejie.complaints.states import OUTCOMES, RECONCILING, Side
from hejie.core.errors import DomainError, NotFound
from hejie.notifications.models import Notification
from hejie.notifications.services import notification_mark_read
from hejie.web.common.i18n import form_errors, pick
from hejie.web.common.labels import event_label, inbox_view_label
from hejie.web.common.templatetags import order_state

PAGE_SIZE = 20
signin_required = login_required(login_url=reverse_lazy("web:signin"))


# --------------------------------------------------------------------------- the inbox


@require_GET
@signin_required
def complaint_list(request):
    user = request.user
    consumer = access.is_consumer(user)
    views = inbox_views(user)
    view = request.GET.get("view", "")
    view = view if view in views else views[0]
    q = "" if consumer else " ".join(request.GET.get("q", "").split())[:64]
    page = Paginator(inbox_for(user, view=view, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    keep = {k: v for k, v in (("view", view), ("q", q)) if v}
    return render(request, "web/complaint_list.html", {
        "page": page, "by_urgency": not consumer, "is_consumer": consumer, "reconciling": RECONCILING,
        "view": view, "q": q, "keep": urlencode(keep),
        "views": [(v, inbox_view_label(v, consumer=consumer), urlencode({"view": v, **({"q": q} if q else {})}))
                  for v in views],
    })


# --------------------------------------------------------------------------- the order page


def _order_or_404(user, complaint_id):
    try:
        complaint = order_page_get_for(user, complaint_id)
    except NotFound:
        raise Http404("no such complaint") from None
    complaint_viewed(viewer=user, complaint=complaint)
    return complaint


def _order_context(request, complaint, **extra) -> dict:
    user = request.user
    side = side_of(user, complaint)
    actions = actions_for(user, complaint)
    proposals = list(complaint.proposals.all())
    urges = list(complaint.urges.all())
    wants_clause = {"propose", "message", "reject_proposal"} & set(actions)
    return {
        "c": complaint, "side": side, "Side": Side, "actions": actions,
        "is_consumer": side == Side.CONSUMER, "is_business": side == Side.BUSINESS,
        "reconciling": RECONCILING, "outcome": complaint.state in OUTCOMES,
        "events": [(event, event_label(event.type)) for event in complaint.events.all()],
        "messages_list": complaint.messages.all(), "proposals": proposals,
        "pending_offer": next((p for p in reversed(proposals) if p.status == "pending" and p.side == Side.BUSINESS),
                              None),
        "evidence": complaint.evidence.all(),
        "open_urges": [u for u in urges if u.acknowledged_at is None],
        "done_urges": [u for u in urges if u.acknowledged_at is not None],
        "mediations": complaint.mediations.all(),
        "mediation_routes": pick(MEDIATION_ROUTES),
        "clauses": citable_clauses(complaint.business) if wants_clause and complaint.business_id else [],
        "errors": {}, "values": {}, "form": "", "general_errors": [],
        **extra,
    }


def _mark_notices_read(user, complaint) -> None:
    """Opening an order reads its notices (as opening a letter does)."""
    ids = list(Notification.objects.filter(user=user, complaint=complaint, read_at__isnull=True)
               .values_list("pk", flat=True))
    if ids:
        notification_mark_read(user=user, ids=ids)


@require_GET
@signin_required
def complaint_detail(request, complaint_id: int):
    complaint = _order_or_404(request.user, complaint_id)
    _mark_notices_read(request.user, complaint)
    return render(request, "web/complaint_detail.html", _order_context(request, complaint))


# --------------------------------------------------------------------------- actions

def _plain(exc: DomainError, complaint, user) -> list[str]:
    """The transition table's refusals said in the reader's words (its own
    messages carry the bilingual state and side labels inside them)."""
    if exc.code == "wrong_state":
        return [_("这件投诉当前为「%(state)s」，不能执行此操作。") % {"state": order_state(complaint)}]
    if exc.code == "forbidden_side":
        side = side_of(user, complaint)
        return [_("%(side)s不能执行此操作。") % {"side": pick(Side(side).label) if side else ""}]
    return []


def _action(form: str, fields: dict[str, str], done: str | Callable[[], str],
            template: str = "web/complaint_detail.html"):
    """A view for one action: ``run(request, complaint)`` calls the service."""

    def decorate(run):
        @require_http_methods(["GET", "POST"])
        @signin_required
        def view(request, complaint_id: int):
            try:
                complaint = complaint_get_for(request.user, complaint_id)
            except NotFound:
                raise Http404("no such complaint") from None
            if request.method != "POST":
                return redirect("web:complaint", complaint.pk)
            extra: dict = {}
            try:
                run(request, complaint, extra)
            except DomainError as exc:
                errors, general = form_errors(exc, fields)
                fresh = _order_or_404(request.user, complaint.pk)
                general = _plain(exc, fresh, request.user) or general
                values = {**request.POST.dict(), **extra}
                values.pop("csrfmiddlewaretoken", None)
                context = _order_context(request, fresh, errors=errors, general_errors=general, values=values,
                                         form=form)
                return render(request, template, context, status=exc.status)
            messages.success(request, done() if callable(done) else done)
            return redirect("web:complaint", complaint.pk)

        view.__name__ = view.__qualname__ = f"order_{form}"
        return view

    return decorate


def _post(request, name: str) -> str:
    return request.POST.get(name, "")


@_action("reply", {"body": "reply_body", "file": "reply_file", "evidence_id": "reply_file",
                   "clause_id": "reply_clause"}, lambda: _("留言已发送。"))
def order_reply(request, complaint, extra):
    evidence_id = _post(request, "reply_evidence") or None
    upload = request.FILES.get("reply_file")
    if upload is not None:
        data = upload.read(evidence_files.max_bytes() + 1)
        name = (upload.name or "").replace("\x00", "")
        evidence = evidence_files.evidence_add(actor=request.user, complaint=complaint.pk, name=name, data=data)
        evidence_id = evidence.pk
        extra["reply_evidence"] = evidence.pk  # kept if the message itself is refused: no need to pick it again
        extra["reply_evidence_name"] = evidence.original_name
    services.message_post(actor=request.user, complaint=complaint.pk, body=_post(request, "reply_body"),
                          evidence_id=evidence_id, clause_id=_post(request, "reply_clause") or None)


@_action("offer", {"terms": "offer_terms", "amount": "offer_amount", "clause_id": "offer_clause"},
         lambda: _("和解方案已发送给消费者。"))
def order_offer(request, complaint, extra):
    services.proposal_make(actor=request.user, complaint=complaint.pk, terms=_post(request, "offer_terms"),
                           amount=_post(request, "offer_amount"), clause_id=_post(request, "offer_clause") or None)


@_action("accept", {}, lambda: _("您已接受和解方案，和解成功。"))
def order_accept(request, complaint, extra):
    services.proposal_accept(actor=request.user, complaint=complaint.pk, proposal_id=_post(request, "proposal_id"))


@_action("reject", {"reason": "reject_reason"}, lambda: _("您已拒绝该方案，商家可以提出新方案。"))
def order_reject(request, complaint, extra):
    services.proposal_reject(actor=request.user, complaint=complaint.pk, proposal_id=_post(request, "proposal_id"),
                             reason=_post(request, "reject_reason"))


@_action("counter", {"reason": "counter_reason", "counter_terms": "counter_terms",
                     "counter_amount": "counter_amount", "clause_id": "counter_clause"},
         lambda: _("您的还价已发送给商家。"))
def order_counter(request, complaint, extra):
    services.proposal_reject(actor=request.user, complaint=complaint.pk, proposal_id=_post(request, "proposal_id"),
                             reason=_post(request, "counter_reason"), counter_terms=_post(request, "counter_terms"),
                             counter_amount=_post(request, "counter_amount"),
                             counter_clause_id=_post(request, "counter_clause") or None)


@_action("refuse", {"reason": "refuse_reason"}, lambda: _("已拒绝和解，本次和解终止。"))
def order_refuse(request, complaint, extra):
    services.complaint_refuse(actor=request.user, complaint=complaint.pk, reason=_post(request, "refuse_reason"))


@_action("mediation", {"reason": "mediation_reason"}, lambda: _("已申请消委调解，消委工作人员会与您联系。"))
def order_mediation(request, complaint, extra):
    services.mediation_request(actor=request.user, complaint=complaint.pk, reason=_post(request, "mediation_reason"))


@_action("fulfilled", {}, lambda: _("已标记为已履行，等待消费者确认。"))
def order_fulfilled(request, complaint, extra):
    services.fulfilment_mark(actor=request.user, complaint=complaint.pk)


_YES_NO = {"yes": True, "no": False}


@_action("confirm", {"fulfilled": "confirm_fulfilled", "note": "confirm_note"}, lambda: _("感谢您的确认。"))
def order_confirm(request, complaint, extra):
    services.fulfilment_confirm(actor=request.user, complaint=complaint.pk,
                                fulfilled=_YES_NO.get(_post(request, "confirm_fulfilled")),
                                note=_post(request, "confirm_note"))


@_action("rate", {"satisfaction": "rate_satisfaction", "comment": "rate_comment"}, lambda: _("感谢您的评价。"))
def order_rate(request, complaint, extra):
    services.complaint_rate(actor=request.user, complaint=complaint.pk,
                            satisfaction=_post(request, "rate_satisfaction"), comment=_post(request, "rate_comment"))


@_action("acknowledge", {}, lambda: _("已确认收到催办。"))
def order_acknowledge(request, complaint, extra):
    urge_id = _post(request, "urge_id")
    if not any(str(u.pk) == urge_id for u in complaint.urges.all()):
        raise NotFound(_("催办不存在"))
    services.urge_acknowledge(actor=request.user, urge_id=urge_id)


@_action("withdraw", {"reason": "withdraw_reason"}, lambda: _("投诉已撤回。"), template="web/order/withdraw.html")
def _order_withdraw_post(request, complaint, extra):
    services.complaint_withdraw(actor=request.user, complaint=complaint.pk, reason=_post(request, "withdraw_reason"))


@require_http_methods(["GET", "POST"])
@signin_required
def order_withdraw(request, complaint_id: int):
    """A confirmation step first (GET), then the withdrawal (POST)."""
    if request.method == "POST":
        return _order_withdraw_post(request, complaint_id)
    complaint = _order_or_404(request.user, complaint_id)
    context = _order_context(request, complaint)
    if "withdraw" not in context["actions"]:
        return redirect("web:complaint", complaint.pk)
    return render(request, "web/order/withdraw.html", context)

