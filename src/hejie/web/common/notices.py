"""The in-app notices list: the person's notices, newest first, unread marked,
each linking to its order; "mark all read". (Listed in web/common/urls.py.)"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hejie.accounts import access, privacy
from hejie.notifications.models import Notification
from hejie.notifications.services import notification_mark_read

PAGE_SIZE = 20
signin_required = login_required(login_url=reverse_lazy("web:signin"))


def notices_for(user):
    """The person's own notices, newest first (with each one's order number)."""
    return (Notification.objects.filter(user=user).select_related("complaint")
            .only("id", "event", "title", "body", "created_at", "read_at", "complaint__id", "complaint__number")
            .order_by("-created_at", "-id"))


@require_GET
@signin_required
def notice_list(request):
    page = Paginator(notices_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    if not access.may_see_personal_data_sent(request.user):  # e.g. a suspended business's staff
        for notice in page:
            privacy.redact(notice, title=privacy.scrub(notice.title), body=privacy.scrub(notice.body))
    return render(request, "web/notices.html", {"page": page})


@require_POST
@signin_required
def notices_mark_read(request):
    count = notification_mark_read(user=request.user)
    if count:
        messages.success(request, _("已全部标为已读。"))
    return redirect("web:notices")

