"""The signed-in person's own account: staff (business, council, partner,
operator accounts that sign in with a password) change their password.

Thin face over ``hejie.accounts.services.password_change``. Consumers sign in
by SMS code and have no password: for them the page does not exist (404);
anyone not signed in is sent to the staff sign-in first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hejie.accounts import access, services
from hejie.core.errors import DomainError
from hejie.core.http import client_ip
from hejie.web.common.auth import with_retry_after
from hejie.web.common.i18n import field_messages

FIELDS = ("current_password", "new_password", "new_password_again")


@require_http_methods(["GET", "POST"])
@login_required(login_url=reverse_lazy("web:signin-staff"))
def password(request):
    user = request.user
    if not access.may_change_password(user):
        raise Http404("accounts that sign in with a password only")
    errors: dict[str, str] = {}
    status = 200
    failure: DomainError | None = None
    if request.method == "POST":
        try:
            _user, revoked = services.password_change(user=user, ip=client_ip(request),
                                                      **{f: request.POST.get(f, "") for f in FIELDS})
        except DomainError as exc:
            errors = field_messages(exc)
            status, failure = exc.status, exc
        else:
            update_session_auth_hash(request, user)  # this session stays signed in; the others end
            messages.success(request, _("密码已修改。下次登录请使用新密码。"))
            if revoked:
                messages.success(request, _("此账号的API密钥已全部吊销，使用API需重新获取。"))
            return redirect("web:account-password")
    response = render(request, "web/account/password.html", {"errors": errors}, status=status)
    return with_retry_after(response, failure)

