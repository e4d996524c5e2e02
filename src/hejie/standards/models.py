"""Industry service standards (服务标准): versioned clauses that both sides of
an order can cite, and each business's acceptance of its industry's standard.

A version is a draft while it is written, then published (in force: at most
one per standard), then withdrawn when a newer version is published (or it is
retracted). Published and withdrawn versions never change: a citation points
at the clause row of the version it was made under, so a later version never
rewrites what was cited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hejie.core import clock


class ServiceStandard(models.Model):
    industry = models.ForeignKey("businesses.Industry", on_delete=models.PROTECT, related_name="standards")
    title = models.CharField(max_length=120)
    publisher_name = models.CharField(
        max_length=120, blank=True,
        help_text="the publisher's name as shown (the association's name when ``publisher`` is set)",
    )
    publisher = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="standards",
        limit_choices_to={"kind": "association"},
        help_text="the industry association whose staff write and publish it (operators may too)",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    # Not a column: the version in force, set by ``standards.selectors.standards_published``.
    current: StandardVersion

    class Meta:
        ordering = ["industry", "title"]
        constraints = [models.UniqueConstraint(fields=["industry", "title"], name="std_unique_title")]

    def __str__(self) -> str:
        return self.title


class StandardVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("现行")
        WITHDRAWN = "withdrawn", _("已废止")

    standard = models.ForeignKey(ServiceStandard, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the version's clauses, set by ``standards.selectors.standard_get``.
    clause_list: list[StandardClause]

    class Meta:
        ordering = ["standard", "version"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "version"], name="stdver_unique_number"),
            models.UniqueConstraint(fields=["standard"], condition=Q(status="published"), name="stdver_one_current"),
            models.UniqueConstraint(fields=["standard"], condition=Q(status="draft"), name="stdver_one_draft"),
            models.CheckConstraint(condition=Q(version__gte=1), name="stdver_number_positive"),
            models.CheckConstraint(condition=Q(status="draft") | Q(published_at__isnull=False),
                                   name="stdver_published_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.standard.title} v{self.version}"


class StandardClause(models.Model):
    version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="clauses")
    number = models.CharField(max_length=20, help_text='e.g. "3.2"')
    sort_key = models.CharField(max_length=40, editable=False, help_text="number with zero-padded parts")
    text = models.TextField()

    class Meta:
        ordering = ["version", "sort_key"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="stdclause_unique_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:40]}"


class StandardAcceptance(models.Model):
    business = models.ForeignKey("businesses.Business", on_delete=models.PROTECT,
                                 related_name="standard_acceptances")
    version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(default=clock.now)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["business", "version"], name="stdaccept_once")]
