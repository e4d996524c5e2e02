"""Account reads."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hejie.accounts.models import ApiToken, User
from hejie.accounts.phones import normalize_phone
from hejie.core.errors import NotFound


def user_get(*, username: str) -> User:
    user = User.objects.select_related("business", "region").filter(username=(username or "").strip()).first()
    if user is None:
        raise NotFound(_("找不到用户 %(username)s") % {"username": username})
    return user


def user_get_by_phone(*, phone: str) -> User | None:
    return User.objects.filter(phone=normalize_phone(phone)).first()


def user_by_wechat(openid: str | None) -> User | None:
    """The person bound to this WeChat openid, if any."""
    value = str(openid or "").strip()
    if not value:
        return None
    return User.objects.filter(wechat_openid=value).first()


def user_list(*, role: str | None = None, active_only: bool = False) -> QuerySet[User]:
    qs = User.objects.select_related("business", "region").order_by("role", "username")
    if role:
        qs = qs.filter(role=role)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs


def token_list(*, user: User, include_revoked: bool = False) -> QuerySet[ApiToken]:
    """A user's tokens, newest first (never the keys: only prefix, label and times)."""
    qs = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs
