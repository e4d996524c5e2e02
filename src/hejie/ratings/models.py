from django.conf import settings
from django.db import models
from django.db.models import Q

from hejie.core import clock


class BlacklistEntry(models.Model):
    """黑榜. Created as a *candidate* by rule; only a person publishes it."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "候选 candidate"
        PUBLISHED = "published", "已公布 published"
        DISMISSED = "dismissed", "不予公布 dismissed"
        REMOVED = "removed", "已移出 removed"

    class Rule(models.TextChoices):
        FAILED_CASES = "failed_cases", "窗口期内多次和解失败 repeated failed cases"
        NEVER_TOOK_UP = "never_took_up", "14天内未受理投诉 never took up a complaint"

    business = models.ForeignKey("businesses.Business", on_delete=models.PROTECT, related_name="blacklist_entries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CANDIDATE)
    rule = models.CharField(max_length=20, choices=Rule.choices)
    reason = models.TextField()
    cases = models.ManyToManyField("complaints.Complaint", related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "blacklist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["business"], condition=Q(status__in=["candidate", "published"]),
                name="blacklist_one_open_per_business",
            )
        ]
