"""What every page's header needs: the signed-in person's links and unread notices.

One query (the unread count) for a signed-in person, none for a visitor."""

from __future__ import annotations

from hejie.notifications.models import Notification


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_unread": 0}
    return {"nav_unread": Notification.objects.filter(user=user, read_at__isnull=True).count()}
