"""What every page's header needs: the signed-in person's links and unread notices.

``viewer`` says which menu the person gets, as ``hejie.accounts.access`` decides
(templates ask it, never ``user.role``). One query (the unread count) for a
signed-in person, none for a visitor."""

from __future__ import annotations

from hejie.accounts import access
from hejie.notifications.models import Notification


def viewer(user) -> dict[str, bool]:
    """The flags templates branch on, for a signed-in ``user``."""
    return {
        "consumer": access.is_consumer(user),
        "business": access.is_business_staff(user),
        "business_admin": access.is_business_admin(user),
        "overseer": access.is_overseer(user),
        "partner": access.is_partner_staff(user),
        "has_password": access.may_change_password(user),
    }


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_unread": 0}
    return {"nav_unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
            "viewer": viewer(user)}
