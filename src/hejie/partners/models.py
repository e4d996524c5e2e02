"""Partners (a delivery platform, a chain's headquarters, an association) and
their bulk imports of businesses (入驻批量导入)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hejie.core import clock


class Partner(models.Model):
    class Kind(models.TextChoices):
        PLATFORM = "platform", _("平台")
        CHAIN = "chain", _("连锁总部")
        ASSOCIATION = "association", _("行业协会")

    class Status(models.TextChoices):
        APPLIED = "applied", _("申请中")
        ACTIVE = "active", _("已通过")
        SUSPENDED = "suspended", _("已暂停")
        REFUSED = "refused", _("未通过")

    class OnboardStatus(models.TextChoices):
        APPLIED = "applied", _("待审核")
        ACTIVE = "active", _("直接入驻")

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="partners",
        help_text="the jurisdiction whose council approved it",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    status_reason = models.CharField(max_length=500, blank=True, help_text="why the council refused it")
    industries = models.ManyToManyField(
        "businesses.Industry", blank=True, related_name="partners",
        help_text="for an association: the industries whose service standards it may publish",
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="partners_administered",
        help_text="its staff who may add staff (the applicant is the first)",
    )
    onboard_status = models.CharField(
        max_length=16, choices=OnboardStatus.choices, default=OnboardStatus.APPLIED,
        help_text="the status the businesses it brings start in; set by the council",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("已预检")
        COMMITTING = "committing", _("导入中")
        COMMITTED = "committed", _("已导入")
        FAILED = "failed", _("失败")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    total_rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    already = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0, help_text="accepted rows processed by the commit so far")
    created = models.PositiveIntegerField(default=0, help_text="businesses the commit created")
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True,
        help_text="last sign of life of the commit (set when it starts and after each chunk); a batch "
                  "committing with an old heartbeat is stuck (the process died) and may be resumed",
    )
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "sha256"])]

    def __str__(self) -> str:
        return f"{self.partner} · {self.filename} ({self.status})"


class ImportRow(models.Model):
    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("可导入")
        REFUSED = "refused", _("不通过")
        ALREADY = "already", _("已在平台")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(help_text="line in the file (the header is line 1)")
    data = models.JSONField(default=dict)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=1000, blank=True)
    business = models.ForeignKey(
        "businesses.Business", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="set when the commit created it",
    )

    class Meta:
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="import_row_unique_line"),
            models.CheckConstraint(condition=Q(business__isnull=True) | Q(outcome="accepted"),
                                   name="import_row_business_only_if_accepted"),
        ]
        indexes = [models.Index(fields=["batch", "outcome", "line"])]
