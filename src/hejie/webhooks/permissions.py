"""Who may manage webhooks: a business's admin staff (and operators, by id).
The rules are ``hejie.accounts.access``; this module turns them into the
webhooks' answers (403, or 404 for what is not yours)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from hejie.accounts import access
from hejie.core.errors import Message, NotAllowed, NotFound

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer
    from hejie.businesses.models import Business

ONLY_ADMINS = _("只有商户管理员可以管理推送地址")
NO_SUCH_ENDPOINT = _("推送地址不存在")
NO_SUCH_DELIVERY = _("推送记录不存在")


def own_business_id(user: Viewer) -> int:
    """The business whose webhooks ``user`` administers; 403 for anyone else
    (consumers, council staff, a business's ordinary staff; operators manage
    a business's endpoints by id or in the Django admin)."""
    if access.is_business_admin(user) and user.business_id is not None:  # staff have a business
        return user.business_id
    raise NotAllowed(ONLY_ADMINS)


def check_may_manage(user: Viewer) -> None:
    """403 unless ``user`` could manage some business's webhooks at all."""
    if not access.is_operator(user):
        own_business_id(user)


def check_administers(user: Viewer, business: Business, *, missing: Message = NO_SUCH_ENDPOINT) -> None:
    """404, not 403, for another business's endpoint: it does not exist for you."""
    if not access.may_manage_business(user, business):
        raise NotFound(missing)
