"""The signed-in person's own account: staff (business, council, partner,
operator accounts that sign in with a password) change their password; everyone
chooses where their messages go (``channels``), downloads what is held about them
(``my_data``) and, a consumer, closes their account (``close``; ``hejie.complaints.rights``).

Thin face over ``hejie.accounts.services.password_change``. Consumers sign in
by SMS code and have no password: for them the page does not exist (404);
anyone not signed in is sent to the staff sign-in first."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hejie.accounts import access, services
from hejie.accounts.phones import mask_phone
from hejie.complaints import rights
from hejie.core import clock
from hejie.core.errors import DomainError
from hejie.core.http import client_ip
from hejie.notifications import kinds
from hejie.notifications import selectors as notification_selectors
from hejie.notifications import services as notification_services
from hejie.notifications.models import Language
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



# --- where my messages go (every signed-in person) -----------------------------------------

# How each outgoing message went, as its owner reads it.
DELIVERY_STATUS = {
    "queued": gettext_lazy("待发送"), "held": gettext_lazy("免打扰后发送"), "sending": gettext_lazy("发送中"),
    "sent": gettext_lazy("已发送"), "delivered": gettext_lazy("已送达"), "failed": gettext_lazy("发送失败"),
    "unknown": gettext_lazy("状态未知"), "limited": gettext_lazy("超出频率未发送"),
}
CHANNEL_ACTIONS = ("send_code", "confirm_mobile", "remove_mobile", "contact", "choices", "wechat_unbind")
# What everyone may do here; the rest is staff's (their mobile, email, being on duty).
EVERYONE_ACTIONS = ("choices", "wechat_unbind")


@require_http_methods(["GET", "POST"])
@login_required(login_url=reverse_lazy("web:signin"))
def channels(request):
    """Which channels carry each kind of message, quiet hours; staff also confirm the mobile that
    gets their SMS (by code), their email, and (business staff) whether they are on duty."""
    user = request.user
    staff = access.is_staff_account(user)
    errors: dict[str, str] = {}
    typed = {"mobile": request.POST.get("mobile", ""), "email": request.POST.get("email", user.email or "")}
    status = 200
    failure: DomainError | None = None
    code_sent_to = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action not in CHANNEL_ACTIONS or (action not in EVERYONE_ACTIONS and not staff):
                raise Http404("no such action")
            if action == "send_code":
                code_sent_to = services.mobile_code_send(user=user, mobile=typed["mobile"], ip=client_ip(request))
                sent = _("验证码已发送到 %(phone)s，请在下方填写。") % {"phone": mask_phone(code_sent_to)}
                messages.success(request, sent)
            elif action == "confirm_mobile":
                services.mobile_confirm(user=user, mobile=typed["mobile"], code=request.POST.get("phone_code"),
                                        ip=client_ip(request))
                messages.success(request, _("手机号已确认，短信通知将发送到这个号码。"))
                return redirect("web:account-channels")
            elif action == "remove_mobile":
                services.mobile_remove(user=user)
                messages.success(request, _("已删除手机号，不再发送短信通知。"))
                return redirect("web:account-channels")
            elif action == "wechat_unbind":
                services.wechat_unbind(user=user)
                messages.success(request, _("已解除微信绑定，不再通过微信发送消息，也不能再用微信登录。"))
                return redirect("web:account-channels")
            elif action == "contact":
                on_duty = request.POST.get("on_duty") == "on" if access.is_business_staff(user) else None
                services.contact_update(user=user, email=typed["email"], on_duty=on_duty)
                messages.success(request, _("已保存。"))
                return redirect("web:account-channels")
            else:
                offered = kinds.AUDIENCE_KINDS[user.audience]
                notification_services.channel_settings_save(
                    user=user, choices={k: request.POST.getlist(f"kind-{k}") for k in offered},
                    quiet_hours=request.POST.get("quiet_hours") == "on",
                    quiet_start=request.POST.get("quiet_start", ""), quiet_end=request.POST.get("quiet_end", ""),
                    language=request.POST.get("language"))
                messages.success(request, _("通知设置已保存。"))
                return redirect("web:account-channels")
        except DomainError as exc:
            errors = field_messages(exc)
            status, failure = exc.status, exc
    view = notification_selectors.channel_view(user)
    channel_list = [(c, kinds.CHANNEL_LABELS[c]) for c in kinds.CHANNELS]
    context = {
        "staff": staff,
        "business_staff": access.is_business_staff(user),
        "view": view,
        "channels": channel_list,
        "languages": Language.choices,
        "rows": [(row, [(c, label, row.channels[c]) for c, label in channel_list]) for row in view.rows],
        "deliveries": [(d, kinds.CHANNEL_LABELS.get(d.channel, d.channel), DELIVERY_STATUS.get(d.status, d.status),
                        kinds.MESSAGE_LABELS.get(d.kind, d.kind))
                       for d in notification_selectors.deliveries_of(user, limit=10)],
        "typed": typed,
        "code_sent_to": code_sent_to or (typed["mobile"] if errors.get("phone_code") else ""),
        "errors": errors,
        "wechat_enabled": bool(settings.HEJIE_WECHAT.get("app_id")),
    }
    response = render(request, "web/account/channels.html", context, status=status)
    return with_retry_after(response, failure)


# --- my data: a copy of it, and closing the account (PIPL; hejie.complaints.rights) ---------------


@require_http_methods(["GET"])
@login_required(login_url=reverse_lazy("web:signin"))
def my_data(request):
    """What is held about me, and a zip of it (``?format=zip``): only ever the signed-in person's."""
    if request.GET.get("format") == "zip":
        body = rights.account_data_zip(request.user)
        response = HttpResponse(body, content_type="application/zip")
        name = f"hejie-my-data-{clock.local_date().strftime('%Y%m%d')}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "web/account/data.html", {"consumer": access.is_consumer(request.user)})


@require_http_methods(["GET", "POST"])
@login_required(login_url=reverse_lazy("web:signin"))
def close(request):
    """Close my account (consumers): the open orders that will be withdrawn, then an SMS code."""
    user = request.user
    if not access.is_consumer(user):
        return render(request, "web/account/close.html", {"staff": True}, status=403)
    errors: dict[str, str] = {}
    status = 200
    failure: DomainError | None = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send_code":
                rights.account_close_code_send(user=user, ip=client_ip(request))
                sent = _("验证码已发送到 %(phone)s，5分钟内有效。") % {"phone": mask_phone(user.phone)}
                messages.success(request, sent)
                return redirect("web:account-close")
            done = rights.account_close(user=user, code=request.POST.get("code", ""),
                                        withdraw_open=request.POST.get("withdraw_open") == "1",
                                        ip=client_ip(request))
        except DomainError as exc:
            errors = field_messages(exc)
            status, failure = exc.status, exc
        else:
            logout(request)
            return render(request, "web/account/closed.html", {"done": done})
    orders = rights.open_orders(user)
    response = render(request, "web/account/close.html", {
        "errors": errors, "orders": orders, "mediating": [o for o in orders if o.state == "mediating"],
        "phone": mask_phone(user.phone),
    }, status=status)
    return with_retry_after(response, failure)
