from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hejie.core import clock

MAX_ENDPOINTS_PER_BUSINESS = 5
URL_MAX_LENGTH = 500


class WebhookEndpoint(models.Model):
    """A URL of a business's own system that receives its orders' events.

    ``secret`` signs every delivery (HMAC-SHA256). It is a shared secret, not a
    password: Hejie needs it in clear to sign, so it is stored as is, shown to
    the business once (when the endpoint is created) and never again.
    """

    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=URL_MAX_LENGTH)
    secret = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "url"], name="whe_one_url_per_business"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event (or ping) to one endpoint: the body sent, and how sending went.

    ``next_attempt_at`` is when a pending delivery is next due. It doubles as a
    claim: whoever sends an attempt first moves it forward (to the end of a
    lease) with a conditional update, so two senders never send one attempt.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("已放弃")

    class Kind(models.TextChoices):
        EVENT = "event", _("事件")
        PING = "ping", _("测试")
        REDELIVERY = "redelivery", _("重发")

    # The composite index below serves lookups by endpoint; a second one on
    # the foreign key alone would only cost writes.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_index=False)
    # Timeline events are append-only and never deleted, so nothing looks
    # deliveries up by event: no index.
    event = models.ForeignKey("complaints.ComplaintEvent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EVENT)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict, blank=True,
                               help_text="the JSON body as sent (rendered at the first attempt)")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # the delivery log of an endpoint, newest first (keyset pagination)
            models.Index(fields=["endpoint", "created_at", "id"], name="whd_endpoint_log"),
            # the retry pass: what is due
            models.Index(fields=["next_attempt_at"], name="whd_due", condition=Q(status="pending")),
            # pruning old deliveries
            models.Index(fields=["created_at"], name="whd_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "delivered", "failed"]), name="whd_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=["event", "ping", "redelivery"]), name="whd_kind_valid"),
            models.CheckConstraint(condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                                   name="whd_pending_is_scheduled"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"
