"""Claiming a business's account from the link in an invitation (``hejie.businesses.claims``):
the registered contact confirms their phone by code, gives the credit code and chooses a
username and password; the orders that waited are delivered and the new admin lands on them.
Thin face over ``hejie.complaints.services.business_claim``; works without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from hejie.accounts.phones import mask_phone
from hejie.businesses import claims
from hejie.businesses.models import Industry
from hejie.complaints.policy import get_policy
from hejie.complaints.services import business_claim
from hejie.core.errors import DomainError
from hejie.core.http import client_ip
from hejie.web.common.auth import with_retry_after
from hejie.web.common.i18n import field_messages

_BACKEND = "django.contrib.auth.backends.ModelBackend"
FIELDS = ("phone_code", "credit_code", "username", "display_name", "name", "industry")


@require_http_methods(["GET", "POST"])
def claim(request, token: str):
    try:
        invitation = claims.invitation_from_link(token)
    except DomainError as exc:
        return render(request, "web/workbench/claim.html", {"refused": field_messages(exc)["form"]},
                      status=exc.status)
    values = {f: request.POST.get(f, "") for f in FIELDS}
    details = claims.needs_details(invitation)
    if request.method == "GET" and details:
        values["name"] = invitation.business.name  # as the consumer typed it: the claimant corrects it
    errors: dict[str, str] = {}
    status = 200
    failure: DomainError | None = None
    code_sent = ""
    if request.method == "POST":
        try:
            if "send_code" in request.POST:
                code_sent = claims.claim_code_send(token=token, ip=client_ip(request))
            else:
                user, delivered = business_claim(
                    token=token, phone_code=values["phone_code"], credit_code=values["credit_code"],
                    username=values["username"], password=request.POST.get("password", ""),
                    display_name=values["display_name"], name=values["name"], industry=values["industry"],
                    ip=client_ip(request))
                login(request, user, backend=_BACKEND)
                messages.success(request, ngettext(
                    "认领成功。%(n)d 件投诉已送达，处理时限从现在开始计算。",
                    "认领成功。%(n)d 件投诉已送达，处理时限从现在开始计算。", len(delivered)) % {"n": len(delivered)})
                return redirect("web:complaints")
        except DomainError as exc:
            errors = field_messages(exc)
            status, failure = exc.status, exc
    context = {
        "business": invitation.business, "phone": mask_phone(invitation.phone), "values": values,
        "errors": errors, "code_sent": code_sent, "token": token,
        "already_signed_in": request.user.is_authenticated, "policy": get_policy(),
        "details": details, "industries": Industry.objects.all() if details else [],
        "intro": _("消费者在和解平台对%(name)s提交了投诉。认领账号后即可查看并处理。") % {
            "name": invitation.business.name},
    }
    return with_retry_after(render(request, "web/workbench/claim.html", context, status=status), failure)
