"""Sign-in pages: a consumer by phone and SMS code (two steps), staff by username
and password. Thin faces over ``hejie.accounts.services``: every rule (code
format, attempts, rate limits, who may use which way) lives there.

A consumer who came through WeChat's sign-in (``web.common.wechat``) with an openid no one
has yet signs in here by phone and code, and the openid is then bound to them."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hejie.accounts import services
from hejie.accounts.phones import mask_phone
from hejie.core.errors import DomainError, RateLimited
from hejie.core.http import client_ip
from hejie.web.common.i18n import field_messages

SESSION_PHONE = "hejie_signin_phone"
# The openid of someone who came through WeChat and is not bound yet: bound when they sign in by code.
SESSION_WECHAT_OPENID = "hejie_wechat_openid"
LONG_WAIT = 120  # a longer wait (an hourly or daily limit) is said in minutes, not counted down
WECHAT_OPENID_MAX_AGE = 1800  # seconds a pending openid waits for the phone sign-in
BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next(request) -> str:
    """The ``next`` page asked for, if it is on this site; otherwise ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _next_url(request) -> str:
    return safe_next(request) or reverse("web:complaints")


def with_retry_after(response, exc: DomainError | None):
    """A page refused for a limit (429) says when to come back in the header too."""
    retry_after = getattr(exc, "retry_after", None)
    if response.status_code == 429 and retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def wechat_enabled() -> bool:
    wechat = getattr(settings, "HEJIE_WECHAT", {}) or {}
    return bool(wechat.get("app_id"))


def wechat_pending(request) -> str:
    """The openid that came through WeChat, waiting to be bound at the phone sign-in (if not expired)."""
    pending = request.session.get(SESSION_WECHAT_OPENID)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > WECHAT_OPENID_MAX_AGE:
        request.session.pop(SESSION_WECHAT_OPENID, None)
        return ""
    return str(pending.get("openid") or "")


def _bind_wechat(request, user, openid: str) -> None:
    """First use of WeChat: the openid it gave is bound to the consumer who just proved their phone."""
    try:
        services.wechat_bind(user=user, openid=openid)
    except DomainError as exc:
        messages.error(request, _("未能绑定微信：%(reason)s") % {"reason": exc.message})
    else:
        messages.success(request, _("已绑定微信，下次在微信中可直接登录。"))


def _signed_in(request, user):
    request.session.pop(SESSION_PHONE, None)
    openid = wechat_pending(request)
    request.session.pop(SESSION_WECHAT_OPENID, None)
    login(request, user, backend=BACKEND)
    if openid:
        _bind_wechat(request, user, openid)
    return redirect(_next_url(request))


def _signin_context(request, **extra):
    return {"next": safe_next(request), "wechat_enabled": wechat_enabled(),
            "wechat_pending": bool(wechat_pending(request)), **extra}


def _code_page(request, phone: str, *, errors=None, status: int = 200):
    """The code step's page; with the wait before a new code may be asked for (the resend link
    counts it down: hejie/resend.js; without the script the number of seconds is shown)."""
    try:
        wait = services.otp_resend_wait(phone=phone)
    except DomainError:
        wait = 0
    return render(request, "web/signin_code.html",
                  _signin_context(request, phone=phone, phone_masked=mask_phone(phone), errors=errors or {},
                                  wait=wait, wait_minutes=-(-wait // 60) if wait > LONG_WAIT else 0),
                  status=status)


@require_http_methods(["GET", "POST"])
def signin_phone(request):
    """Step 1: the phone number; a code is sent by SMS."""
    phone = request.POST.get("phone", "").strip() if request.method == "POST" else ""
    errors: dict[str, str] = {}
    status = 200
    failure: DomainError | None = None
    if request.method == "POST":
        try:
            services.otp_send(phone=phone, ip=client_ip(request))
        except RateLimited as exc:
            if request.POST.get("resend"):
                # asked again from the code page within the wait: stay there, with what was typed
                request.session[SESSION_PHONE] = phone
                response = _code_page(request, phone, errors={"resend": exc.message}, status=exc.status)
                return with_retry_after(response, exc)
            errors, status, failure = field_messages(exc, "phone"), exc.status, exc
        except DomainError as exc:
            errors, status = field_messages(exc, "phone"), exc.status
        else:
            request.session[SESSION_PHONE] = phone
            url = reverse("web:signin-code")
            target = safe_next(request)
            return redirect(f"{url}?{urlencode({'next': target})}" if target else url)
    response = render(request, "web/signin_phone.html", _signin_context(request, phone=phone, errors=errors),
                      status=status)
    return with_retry_after(response, failure)


@require_http_methods(["GET", "POST"])
def signin_code(request):
    """Step 2: the code from the SMS."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("web:signin")
    errors: dict[str, str] = {}
    status = 200
    failure: DomainError | None = None
    if request.method == "POST":
        try:
            user = services.otp_verify(phone=phone, code=request.POST.get("code", ""), ip=client_ip(request))
        except DomainError as exc:
            errors, status, failure = field_messages(exc, "code"), exc.status, exc
        else:
            return _signed_in(request, user)
    return with_retry_after(_code_page(request, phone, errors=errors, status=status), failure)


@require_http_methods(["GET", "POST"])
def signin_staff(request):
    """Staff by username and password; wrong passwords are limited per (username, address) and per
    address (the service's rule): over the limit the form answers 429 and says when to try again."""
    username = request.POST.get("username", "").strip() if request.method == "POST" else ""
    errors: dict[str, str] = {}
    status = 200
    failure: DomainError | None = None
    if request.method == "POST":
        try:
            user = services.password_authenticate(
                username=username, password=request.POST.get("password", ""), ip=client_ip(request), request=request)
        except DomainError as exc:
            errors, status, failure = field_messages(exc, "password"), exc.status, exc
        else:
            return _signed_in(request, user)
    response = render(request, "web/signin_staff.html",
                      {"username": username, "errors": errors, "next": safe_next(request)}, status=status)
    return with_retry_after(response, failure)


@require_POST
def signout(request):
    logout(request)
    return redirect("home")
