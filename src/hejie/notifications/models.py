import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from hejie.core import clock


class Language(models.TextChoices):
    """The languages a person may get their messages in (the site's LANGUAGES); each named in itself."""

    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


DEFAULT_LANGUAGE = Language.ZH_HANS.value


class Notification(models.Model):
    """An in-app notice. Every notification is stored here; the channels the person chose
    for its kind (``hejie.notifications.kinds``) carry it too, each as a ``Delivery``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=40)
    complaint = models.ForeignKey("complaints.Complaint", null=True, blank=True, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notif_user")]


class Delivery(models.Model):
    """One outgoing message on one channel to one address: what was sent, to whom, and what became of it.

    Written in the transaction of the change it tells of, sent after commit (by a Celery worker
    when one is configured, in-process otherwise) by ``hejie.notifications.services``. A row is
    sent at most once: it is claimed (``sending``) in a committed transaction before the provider
    is called, so a retry or a restarted worker finds it claimed and does not send it again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        HELD = "held", "held for quiet hours"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        DELIVERED = "delivered", "delivered (provider report)"
        FAILED = "failed", "failed"
        UNKNOWN = "unknown", "unknown (may have been sent)"
        LIMITED = "limited", "not sent: rate limit"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="deliveries")
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="deliveries")
    channel = models.CharField(max_length=16)
    to = models.CharField(max_length=254)
    kind = models.CharField(max_length=32)
    event = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    lang = models.CharField(max_length=8, choices=Language.choices, default=DEFAULT_LANGUAGE,
                            help_text="the recipient's language: the email's greeting, footer and button")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    not_before = models.DateTimeField(default=clock.now, help_text="not sent before (quiet hours, retry backoff)")
    attempts = models.PositiveSmallIntegerField(default=0)
    provider = models.CharField(max_length=32, blank=True)
    provider_id = models.CharField(max_length=128, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    fallback_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="fallbacks")
    resent_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="resends")
    created_at = models.DateTimeField(default=clock.now)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="when the last attempt began")
    sent_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True, help_text="the provider's delivery report")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["not_before"], name="delivery_due",
                         condition=Q(status__in=["queued", "held"])),
            models.Index(fields=["channel", "to", "created_at"], name="delivery_to"),
            models.Index(fields=["provider", "provider_id"], name="delivery_provider_id"),
            models.Index(fields=["status", "created_at"], name="delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}: {self.title} [{self.status}]"


class ChannelSettings(models.Model):
    """A person's choices: which channels carry each kind of message, quiet hours, and the language
    of their messages. No row means the defaults (``hejie.notifications.kinds.DEFAULTS``, quiet
    22:00-08:00, Chinese)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_settings")
    choices = models.JSONField(default=dict, blank=True, help_text="kind -> list of channels")
    quiet_hours = models.BooleanField(default=True)
    quiet_start = models.TimeField(default=dt.time(22, 0))
    quiet_end = models.TimeField(default=dt.time(8, 0))
    language = models.CharField(
        max_length=8, choices=Language.choices, default=DEFAULT_LANGUAGE,
        help_text="the language of the wrapper of their emails (what they were told stays as written)")
    updated_at = models.DateTimeField(default=clock.now)


class DigestRun(models.Model):
    """A person's daily digest, examined on one local day (Asia/Shanghai): the claim that makes it
    once per person per day. The row is written in the transaction that writes the digest, so two
    passes at once cannot both write one (the unique constraint refuses the second, which waits
    for the first on PostgreSQL). ``notification`` is the digest sent, or empty when the person
    had nothing to report that day (they are not examined again until the next day)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_runs")
    day = models.DateField(help_text="the local day (Asia/Shanghai) this digest is for")
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_per_day")]

    def __str__(self) -> str:
        return f"digest of user {self.user_id} for {self.day}"
