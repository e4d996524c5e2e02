"""Sign-in pages: a consumer by phone and SMS code (two steps), staff by username
and password. Thin faces over ``hejie.accounts.services``: every rule (code
format, attempts, rate limits, who may use which way) lives there."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from hejie.accounts import services
from hejie.accounts.phones import mask_phone
from hejie.core.errors import DomainError
from hejie.core.http import client_ip
from hejie.web.common.i18n import field_messages

SESSION_PHONE = "hejie_signin_phone"
_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request) -> str:
    """The ``next`` page asked for, if it is on this site; otherwise ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _next_url(request) -> str:
    return _safe_next(request) or reverse("web:complaints")


def with_retry_after(response, exc: DomainError | None):
    """A page refused for a limit (429) says when to come back in the header too."""
    retry_after = getattr(exc, "retry_after", None)
    if response.status_code == 429 and retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _signed_in(request, user):
    request.session.pop(SESSION_PHONE, None)
    login(request, user, backend=_BACKEND)
    return redirect(_next_url(request))


@require_http_methods(["GET", "POST"])
def signin_phone(request):
    """Step 1: the phone number; a code is sent by SMS."""
    phone = request.POST.get("phone", "").strip() if request.method == "POST" else ""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.otp_send(phone=phone, ip=client_ip(request))
        except DomainError as exc:
            errors, status = field_messages(exc, "phone"), exc.status
        else:
            request.session[SESSION_PHONE] = phone
            url = reverse("web:signin-code")
            target = _safe_next(request)
            return redirect(f"{url}?{urlencode({'next': target})}" if target else url)
    return render(request, "web/signin_phone.html",
                  {"phone": phone, "errors": errors, "next": _safe_next(request)}, status=status)


@require_http_methods(["GET", "POST"])
def signin_code(request):
    """Step 2: the code from the SMS."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("web:signin")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            user = services.otp_verify(phone=phone, code=request.POST.get("code", ""))
        except DomainError as exc:
            errors, status = field_messages(exc, "code"), exc.status
        else:
            return _signed_in(request, user)
    return render(request, "web/signin_code.html",
                  {"phone": phone, "phone_masked": mask_phone(phone), "errors": errors,
                   "next": _safe_next(request)}, status=status)


@require_http_methods(["GET", "POST"])
def signin_staff(request):
    """Staff by username and password; wrong passwords are limited per username and per address
    (the service's rule): over the limit the form answers 429 and says when to try again."""
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
                      {"username": username, "errors": errors, "next": _safe_next(request)}, status=status)
    return with_retry_after(response, failure)


@require_POST
def signout(request):
    logout(request)
    return redirect("home")
