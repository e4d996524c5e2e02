"""The council's order page and its actions (part of the council area: see
``web/council/urls.py``).

The page shows the facts and evidence (the consumer's personal data masked
unless ``accounts.privacy`` allows), the timeline, the conversation, every
urge (manual and automatic) with its acknowledgement, and the mediations.
The actions offered are those ``complaints.selectors.actions_for`` returns;
each POSTs to its own URL and calls the one service. An order outside the
jurisdiction is a 404 for the page and for every action.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hejie.accounts.phones import mask_phone
from hejie.accounts.privacy import consumer_view
from hejie.businesses import claims
from hejie.businesses.selectors import business_search, oversight_region
from hejie.complaints import services
from hejie.complaints.policy import get_policy
from hejie.complaints.selectors import actions_for, complaint_get_for, order_page_get_for
from hejie.complaints.services import MEDIATION_ROUTES, complaint_viewed
from hejie.complaints.states import AWAITING_CLAIM, OUTCOMES, RECONCILING, State
from hejie.core.errors import DomainError, NotFound, invalid
from hejie.web.common.i18n import form_errors, pick
from hejie.web.common.labels import event_label
from hejie.web.council.clocks import order_clock
from hejie.web.council.common import council_only


def _order(user, complaint_id):
    try:
        complaint = order_page_get_for(user, complaint_id)
    except NotFound:
        raise Http404("no such complaint") from None
    complaint_viewed(viewer=user, complaint=complaint)
    return complaint


def _search_scope(user, everywhere: bool):
    """Where the forward form looks for the business: the member's jurisdiction (the order's
    region is within it; operators: everywhere) unless widened to every region."""
    return None if everywhere else oversight_region(user, None)


def _context(request, c, **extra) -> dict:
    user = request.user
    actions = actions_for(user, c)
    urges = list(c.urges.all())
    given_q, given_all = extra.pop("business_q", ""), extra.pop("business_all", "")
    q = (request.GET.get("business_q") or given_q or "").strip()[:60]
    everywhere = bool(request.GET.get("business_all") or given_all)
    scope = _search_scope(user, everywhere)
    found = business_search(q=q, region_code=scope.code if scope else None, limit=10) if (
        q and "forward" in actions) else []
    invitation = (claims.open_invitation(c.business_id) if c.state == State.PENDING_REVIEW
                  and c.review_reason == AWAITING_CLAIM else None)
    return {
        "invitation": invitation, "invitation_phone": mask_phone(invitation.phone) if invitation else "",
        "c": c, "actions": actions, "reconciling": RECONCILING, "outcome": c.state in OUTCOMES,
        # the selector masked the consumer and every free text unless the member holds the right
        "consumer": consumer_view(user, c.consumer, c),
        "description": c.description,
        "events": [(e, event_label(e.type)) for e in c.events.all()],
        "messages_list": [(m, m.body) for m in c.messages.all()],
        "evidence": c.evidence.all(), "urges": urges, "mediations": c.mediations.all(),
        "proposals": list(c.proposals.all()),
        "mediation_routes": pick(MEDIATION_ROUTES),
        "business_q": q, "found": found, "business_all": everywhere, "search_scope": scope,
        "search_everywhere_url": "?" + urlencode({"business_q": q, "business_all": "1"}) + "#review",
        "errors": {}, "values": {}, "form": "",
        "clock": order_clock(c),
        "extend_max": get_policy().mediation_extension_max_workdays if "mediation_extend" in actions else None,
        **extra,
    }


@require_GET
@council_only
def order_page(request, complaint_id: int):
    c = _order(request.user, complaint_id)
    return render(request, "web/council/order.html", _context(request, c))


def _action(form: str, fields: dict[str, str], done: str):
    """A POST-only view running one service; a refusal re-renders the page with
    the message beside the field (status of the error), the text kept."""

    def decorate(run):
        @require_POST
        @council_only
        def view(request, complaint_id: int):
            try:
                complaint = complaint_get_for(request.user, complaint_id)
            except NotFound:
                raise Http404("no such complaint") from None
            try:
                run(request, complaint)
            except DomainError as exc:
                errors, general = form_errors(exc, fields)
                if exc.code == "wrong_state" or exc.code == "forbidden_side":
                    general = [_("这件工单当前的状态不能执行此操作。")]
                values = request.POST.dict()
                values.pop("csrfmiddlewaretoken", None)
                fresh = _order(request.user, complaint.pk)
                context = _context(request, fresh, errors=errors, general_errors=general, values=values, form=form,
                                   business_q=values.get("business_q", ""),
                                   business_all=values.get("business_all", ""))
                return render(request, "web/council/order.html", context, status=exc.status)
            messages.success(request, _(done))
            return redirect("web:council-order", complaint.pk)

        view.__name__ = view.__qualname__ = f"council_{form}"
        return view

    return decorate


def _p(request, name: str) -> str:
    return request.POST.get(name, "")


@_action("urge", {"note": "urge_note"}, "已催办，商家需确认收到。")
def order_urge(request, c):
    services.complaint_urge(actor=request.user, complaint=c.pk, note=_p(request, "urge_note"))


@_action("forward", {"business_id": "forward_business", "note": "forward_note"}, "已转交商家，和解时限开始计算。")
def order_forward(request, c):
    business_id = _p(request, "forward_business")
    if not business_id:
        raise invalid("business_id", _("请先搜索并选择商户"))
    services.complaint_forward(actor=request.user, complaint=c.pk, business_id=business_id,
                               note=_p(request, "forward_note"))


@_action("external", {"external": "external_to", "note": "external_note"}, "已转交其他部门。")
def order_forward_external(request, c):
    services.complaint_forward(actor=request.user, complaint=c.pk, external=_p(request, "external_to"),
                               note=_p(request, "external_note"))


@_action("reject", {"reason": "reject_reason"}, "已不予受理，消费者会收到理由。")
def order_reject(request, c):
    services.complaint_reject(actor=request.user, complaint=c.pk, reason=_p(request, "reject_reason"))


@_action("mediate", {"reason": "mediate_reason"}, "已进入消委调解。")
def order_mediate(request, c):
    services.mediation_request(actor=request.user, complaint=c.pk, reason=_p(request, "mediate_reason"))


@_action("message", {"body": "message_body"}, "留言已发送给双方。")
def order_message(request, c):
    services.message_post(actor=request.user, complaint=c.pk, body=_p(request, "message_body"))


@_action("outcome", {"outcome": "outcome", "terms": "outcome_terms", "amount": "outcome_amount"},
         "调解结果已记录，双方会收到通知。")
def order_outcome(request, c):
    outcome = _p(request, "outcome")
    services.mediation_record_outcome(actor=request.user, complaint=c.pk, outcome=outcome,
                                      terms=_p(request, "outcome_terms") if outcome == "settled" else
                                      _p(request, "outcome_note"),
                                      amount=_p(request, "outcome_amount") if outcome == "settled" else None)



@_action("extend", {"workdays": "extend_workdays", "reason": "extend_reason"}, "调解期限已延长，双方会收到通知。")
def order_extend(request, c):
    services.mediation_extend(actor=request.user, complaint=c.pk, workdays=_p(request, "extend_workdays"),
                              reason=_p(request, "extend_reason"))


@_action("invite", {}, "已再次发送认领邀请。")
def order_invite_remind(request, c):
    claims.invitation_remind(actor=request.user, business=c.business_id)


@_action("contact", {"phone": "invite_phone", "email": "invite_email"}, "联系方式已更正，认领邀请已发送。")
def order_invite_contact(request, c):
    claims.invitation_contact_set(actor=request.user, business=c.business_id, phone=_p(request, "invite_phone"),
                                  email=_p(request, "invite_email"))
