from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hejie.core import clock


class BlacklistEntry(models.Model):
    """黑榜. Created as a *candidate* by rule; only a person publishes it."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("候选")
        PUBLISHED = "published", _("已公布")
        DISMISSED = "dismissed", pgettext_lazy("list entry status", "不予公布")
        REMOVED = "removed", _("已移出")

    class Rule(models.TextChoices):
        FAILED_CASES = "failed_cases", _("窗口期内多次和解失败")
        NEVER_TOOK_UP = "never_took_up", _("14天内未受理投诉")

    business = models.ForeignKey("businesses.Business", on_delete=models.PROTECT, related_name="blacklist_entries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CANDIDATE)
    rule = models.CharField(max_length=20, choices=Rule.choices)
    reason = models.TextField()
    cases = models.ManyToManyField("complaints.Complaint", related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)  # the latest decision (see ListDecision)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    published_at = models.DateTimeField(null=True, blank=True)
    public_reason = models.TextField(blank=True, help_text="the council's reason, published with the entry")

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "blacklist entries"
        indexes = [models.Index(fields=["status", "published_at"], name="blacklist_status_published")]
        constraints = [
            models.UniqueConstraint(
                fields=["business"], condition=Q(status__in=["candidate", "published"]),
                name="blacklist_one_open_per_business",
            )
        ]

    def __str__(self) -> str:
        return f"{self.business} ({self.status})"


class RedListEntry(models.Model):
    """消费者满意商户. Businesses qualify by rule (``hejie.ratings.lists.redlist_candidates``);
    only council staff of the business's jurisdiction (or an operator) confirm one."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("候选")
        CONFIRMED = "confirmed", _("已确认")
        REMOVED = "removed", _("已移出")

    business = models.ForeignKey("businesses.Business", on_delete=models.PROTECT, related_name="redlist_entries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CANDIDATE)
    reason = models.TextField(help_text="why it was confirmed, as published")
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True, help_text="the latest decision (see ListDecision)")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "red list entries"
        indexes = [models.Index(fields=["status", "decided_at"], name="redlist_status_decided")]
        constraints = [
            models.UniqueConstraint(
                fields=["business"], condition=Q(status__in=["candidate", "confirmed"]),
                name="redlist_one_open_per_business",
            )
        ]

    def __str__(self) -> str:
        return f"{self.business} ({self.status})"


class ListDecisionQuerySet(models.QuerySet["ListDecision"]):
    def update(self, **kwargs):
        raise TypeError("list decisions are append-only")

    def delete(self):
        raise TypeError("list decisions are append-only")


class ListDecision(models.Model):
    """Who decided what about a black- or red-list entry, when and why.
    Append-only: the record behind every public listing."""

    class Action(models.TextChoices):
        PUBLISH = "publish", _("公布")
        DISMISS = "dismiss", _("不予公布")
        REMOVE = "remove", _("移出")
        CONFIRM = "confirm", _("确认")

    business = models.ForeignKey("businesses.Business", on_delete=models.PROTECT, related_name="list_decisions")
    blacklist_entry = models.ForeignKey(BlacklistEntry, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="decisions")
    redlist_entry = models.ForeignKey(RedListEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="decisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", help_text="empty when the platform decided by rule")
    reason = models.TextField()
    created_at = models.DateTimeField(default=clock.now)

    objects = ListDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(blacklist_entry__isnull=False, redlist_entry__isnull=True)
                | Q(blacklist_entry__isnull=True, redlist_entry__isnull=False),
                name="listdecision_one_entry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.business_id} @ {self.created_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("list decisions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("list decisions are append-only")


class BlacklistAppeal(models.Model):
    """A business's appeal against its published black-list entry, with its files;
    decided by council staff of its jurisdiction (who, when, why on the row)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉不成立")

    entry = models.ForeignKey(BlacklistEntry, on_delete=models.PROTECT, related_name="appeals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decision_reason = models.TextField(blank=True)
    # the council's clock (``hejie.oversight.clocks``): set when the appeal is filed
    decide_by = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    urged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=Q(status="pending"), name="appeal_one_pending"),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} on {self.entry_id} ({self.status})"


class AppealFile(models.Model):
    """A file sent with an appeal: checked exactly as order evidence is (``complaints.evidence.inspect_upload``)."""

    appeal = models.ForeignKey(BlacklistAppeal, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to="appeals/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
