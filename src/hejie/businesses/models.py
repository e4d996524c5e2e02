from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hejie.core import clock


class Industry(models.Model):
    code = models.SlugField(max_length=32, primary_key=True)
    name = models.CharField(max_length=32)
    name_en = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "industries"

    def __str__(self) -> str:
        return self.name


class Business(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("申请中")
        ACTIVE = "active", _("已入驻")
        SUSPENDED = "suspended", _("已暂停")
        REFUSED = "refused", _("未通过")
        # Named by a consumer (with its mobile or credit code) but not on the platform: a record the
        # complaint can wait on and the claim invitation can reach (``hejie.businesses.claims``).
        # Never public, never rated; the claim makes it active.
        INVITED = "invited", _("未入驻，已邀请认领")

    name = models.CharField(max_length=120)
    name_initials = models.CharField(max_length=120, db_index=True, help_text="pinyin initials, for search")
    credit_code = models.CharField(
        max_length=18, unique=True, null=True, blank=True,
        help_text="unified social credit code; empty only for a business a consumer named by its mobile (invited)",
    )
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="businesses")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="businesses")
    region_l1 = models.CharField(max_length=6)
    region_l2 = models.CharField(max_length=6, null=True, blank=True)
    region_l3 = models.CharField(max_length=6, null=True, blank=True)
    address = models.CharField(max_length=200, blank=True)
    contact_name = models.CharField(max_length=60, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    contact_email = models.EmailField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    status_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="businesses",
        help_text="the partner that brought it onto the platform (bulk import)",
    )

    # Rating aggregates, kept current by hejie.ratings.services in the same
    # transaction as each outcome (and by the sweep as cases age out).
    credit_index = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    star_rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rated_cases = models.PositiveIntegerField(default=0)
    rating_updated_at = models.DateTimeField(null=True, blank=True)
    rating_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="when the oldest case in the rating window leaves it"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "businesses"
        indexes = [
            models.Index(fields=["region_l1", "status"]),
            models.Index(fields=["region_l2", "status"]),
            models.Index(fields=["region_l3", "status"]),
            models.Index(fields=["industry", "status"]),
            models.Index(
                fields=["rating_expires_at"], name="biz_rating_expiry", condition=Q(rating_expires_at__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_index__isnull=True) | Q(credit_index__gte=0, credit_index__lte=10),
                name="biz_credit_index_range",
            ),
            models.CheckConstraint(
                condition=Q(star_rating__isnull=True) | Q(star_rating__gte=0, star_rating__lte=5),
                name="biz_star_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(credit_code__isnull=False) | Q(status="invited"), name="biz_credit_code_unless_invited",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Store(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="stores")
    name = models.CharField(max_length=120)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="stores")
    address = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["business", "name"]
        constraints = [models.UniqueConstraint(fields=["business", "name"], name="store_unique_name")]

    def __str__(self) -> str:
        return f"{self.business.name} · {self.name}"


class ClaimInvitation(models.Model):
    """An invitation to a business that has no account yet (brought by a partner's import) to
    claim it: an SMS (and an email where known) to its registered contact with a one-time link.
    Orders filed against it wait in the council's queue, their clock not started, until it is
    claimed (``hejie.businesses.claims``). One open invitation per business."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    phone = models.CharField(max_length=20, blank=True, help_text="the registered contact's mobile")
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["business"], condition=Q(claimed_at__isnull=True),
                                    name="one_open_invitation_per_business"),
        ]
        indexes = [models.Index(fields=["last_sent_at"], name="invitation_unclaimed",
                                condition=Q(claimed_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.business} ({'claimed' if self.claimed_at else f'sent {self.sends}x'})"
