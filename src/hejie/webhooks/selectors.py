"""Webhook reads, scoped to the caller: a business admin sees its own
business's endpoints and their delivery log (operators: any, by id)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from hejie.core.errors import NotFound
from hejie.webhooks import permissions
from hejie.webhooks.models import WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from hejie.accounts.access import Viewer


def endpoints_for(user: Viewer) -> list[WebhookEndpoint]:
    """The caller's business's endpoints (at most a handful: no paging)."""
    business_id = permissions.own_business_id(user)
    return list(WebhookEndpoint.objects.filter(business_id=business_id).order_by("created_at", "id"))


def endpoint_get_for(user: Viewer, endpoint_id: int) -> WebhookEndpoint:
    permissions.check_may_manage(user)
    endpoint = WebhookEndpoint.objects.select_related("business").filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(permissions.NO_SUCH_ENDPOINT)
    permissions.check_administers(user, endpoint.business)
    return endpoint


def deliveries_for(user: Viewer, endpoint_id: int, *, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """An endpoint's delivery log (page it with ``keyset_page`` on created_at)."""
    endpoint = endpoint_get_for(user, endpoint_id)
    qs = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    return qs
