"""WeChat web sign-in (Official Account OAuth, ``snsapi_base``) and binding WeChat to an account.

The round-trip, for both purposes (``signin`` from the sign-in page, ``bind`` from the account's
channels page):

1. ``start``: a fresh nonce is kept in the session with the purpose, the ``next`` page and (to
   bind) the signed-in person; the browser goes to WeChat's authorize URL with
   ``state`` = the nonce, signed and timestamped.
2. ``callback``: the state must be this session's, unexpired and unused; WeChat's ``code`` is
   exchanged for the person's openid (``hejie.notifications.channels.wechat``).
3. ``signin``: a bound consumer is signed in. An openid no one has is kept in the session and the
   person signs in by phone and SMS code (``auth.signin_code`` then binds it: bound to their
   verified phone on first use); the cancel link drops it. ``bind``: the openid is bound to the
   person who started, if they are still the one signed in.

Every refusal (bad or foreign state, WeChat's error, an openid bound to someone else) is a page
that says what happened, never a 500.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hejie.accounts import services
from hejie.core.errors import DomainError
from hejie.notifications.channels import wechat as channel
from hejie.web.common.auth import BACKEND, SESSION_WECHAT_OPENID, safe_next

SESSION_OAUTH = "hejie_wechat_oauth"
STATE_SALT = "hejie.web.wechat.state"
STATE_MAX_AGE = 600  # seconds between leaving for WeChat and coming back


def _enabled() -> bool:
    return channel.enabled()


def _refused(request: HttpRequest, message: str, *, status: int = 400, bind: bool = False) -> HttpResponse:
    return render(request, "web/wechat_refused.html", {"message": message, "bind": bind}, status=status)


def _start(request: HttpRequest, purpose: str) -> HttpResponse:
    nonce = secrets.token_urlsafe(16)
    pending: dict[str, Any] = {"nonce": nonce, "purpose": purpose, "next": safe_next(request)}
    if purpose == "bind":
        pending["user"] = request.user.pk
    request.session[SESSION_OAUTH] = pending
    state = signing.TimestampSigner(salt=STATE_SALT).sign(nonce)
    redirect_uri = settings.HEJIE_PUBLIC_URL.rstrip("/") + reverse("web:signin-wechat-callback")
    return redirect(channel.authorize_url(redirect_uri=redirect_uri, state=state))


@require_GET
def signin_start(request: HttpRequest) -> HttpResponse:
    """The consumer's "微信登录": off to WeChat (inside WeChat's browser) for their openid."""
    if not _enabled():
        raise Http404("WeChat sign-in is not configured")
    return _start(request, "signin")


@require_POST
@login_required(login_url=reverse_lazy("web:signin"))
def bind_start(request: HttpRequest) -> HttpResponse:
    """A signed-in person binds their WeChat (the same round-trip, then back to the channels page)."""
    if not _enabled():
        raise Http404("WeChat is not configured")
    return _start(request, "bind")


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """WeChat sends the browser back here with ``code`` and our ``state``."""
    pending = request.session.pop(SESSION_OAUTH, None)
    state = request.GET.get("state", "")
    if not isinstance(pending, dict) or not state:
        return _refused(request, _("微信授权请求无效或已过期，请重新操作。"))
    bind = pending.get("purpose") == "bind"
    try:
        nonce = signing.TimestampSigner(salt=STATE_SALT).unsign(state, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        return _refused(request, _("微信授权已超时，请重新操作。"), bind=bind)
    except signing.BadSignature:
        return _refused(request, _("微信授权请求无效或已过期，请重新操作。"), bind=bind)
    if not secrets.compare_digest(nonce, str(pending.get("nonce", ""))):
        return _refused(request, _("微信授权请求无效或已过期，请重新操作。"), bind=bind)
    try:
        openid = channel.openid_for_code(request.GET.get("code", ""))
    except channel.OAuthRefused as exc:
        return _refused(request, str(exc), status=503 if exc.code == "network" else 502, bind=bind)
    target = str(pending.get("next") or "")
    if bind:
        return _bound(request, pending, openid)
    try:
        user = services.wechat_signin(openid=openid)
    except DomainError as exc:
        return _refused(request, exc.message, status=exc.status)
    if user is None:
        request.session[SESSION_WECHAT_OPENID] = {"openid": openid, "at": time.time()}
        url = reverse("web:signin")
        return redirect(f"{url}?{urlencode({'next': target})}" if target else url)
    request.session.pop(SESSION_WECHAT_OPENID, None)
    login(request, user, backend=BACKEND)
    return redirect(target or reverse("web:complaints"))


def _bound(request: HttpRequest, pending: dict[str, Any], openid: str) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or user.pk != pending.get("user"):
        return _refused(request, _("绑定微信前请先登录同一个账号。"), status=403)
    try:
        services.wechat_bind(user=user, openid=openid)
    except DomainError as exc:
        return _refused(request, exc.message, status=exc.status, bind=True)
    messages.success(request, _("已绑定微信，消息将通过微信发送给你。"))
    return redirect("web:account-channels")


@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """Sign in without WeChat after all: the openid that came through it is dropped."""
    request.session.pop(SESSION_WECHAT_OPENID, None)
    target = safe_next(request)
    url = reverse("web:signin")
    return redirect(f"{url}?{urlencode({'next': target})}" if target else url)
