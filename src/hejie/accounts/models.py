from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hejie.accounts.phones import mask_phone
from hejie.core import clock


class HejieUserManager(UserManager["User"]):
    def create_superuser(self, username: str, email: str | None = None, password: str | None = None,
                         **extra_fields: Any) -> User:
        # `hejie createsuperuser` makes an operator (a consumer would need a phone)
        extra_fields.setdefault("role", User.Role.OPERATOR)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """One user model for every role.

    consumer: identified by a mainland mobile number (``phone``), signs in by SMS code.
    business: staff of one business (``business``), signs in with a password.
    council: staff of one jurisdiction (``region``); sees its whole subtree.
    operator: runs the system (Django admin).
    partner: staff of one partner organisation (``partner``): bulk onboarding.

    What each role may see and do is ``hejie.accounts.access`` (the one place).
    """

    class Role(models.TextChoices):
        CONSUMER = "consumer", _("消费者")
        BUSINESS = "business", _("经营者")
        COUNCIL = "council", _("消委")
        OPERATOR = "operator", _("运营")
        PARTNER = "partner", _("合作方")

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CONSUMER)
    phone = models.CharField(max_length=11, null=True, blank=True, unique=True)
    display_name = models.CharField(max_length=60, blank=True)
    business = models.ForeignKey(
        "businesses.Business", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    is_business_admin = models.BooleanField(default=False)
    date_joined = models.DateTimeField("date joined", default=clock.now)  # the one clock, like everything else
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    # Channels (hejie.notifications): a consumer's SMS number is ``phone`` (their sign-in); a staff
    # member's is ``mobile`` once confirmed by an SMS code (not unique: a shop owner may also be a
    # consumer, or staff of two organisations). ``email`` (AbstractUser) is optional.
    mobile = models.CharField(max_length=11, blank=True, help_text="staff: mobile number for notices")
    mobile_verified_at = models.DateTimeField(null=True, blank=True)
    wechat_openid = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                     help_text="the WeChat Official Account openid bound to this account")
    on_duty = models.BooleanField(default=True, help_text="business staff: gets new-order and urge SMS")
    sees_personal_data = models.BooleanField(
        default=False,
        help_text="council staff or operator allowed to see consumers' phone numbers and names unmasked "
                  "(order pages and exports); granted by an operator (hejie.oversight.privacy)",
    )
    audit_supervisor = models.BooleanField(
        default=False,
        help_text="may read the audit trail (/council/audit/, GET /api/v1/audit); granted by an operator",
    )

    # The consumer closed their account (``complaints.rights.account_close``): inactive, its
    # personal fields cleared but the phone, which is kept so that signing in with it says the
    # account is closed; the retention purge releases the phone ``Policy.retention_days`` later.
    closed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[HejieUserManager] = HejieUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="business") | Q(business__isnull=False), name="business_staff_has_business"
            ),
            models.CheckConstraint(
                condition=~Q(role="council") | Q(region__isnull=False), name="council_staff_has_region"
            ),
            models.CheckConstraint(
                condition=~Q(role="consumer") | Q(phone__isnull=False), name="consumer_has_phone"
            ),
            models.CheckConstraint(
                condition=~Q(role="partner") | Q(partner__isnull=False), name="partner_staff_has_partner"
            ),
        ]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def audience(self) -> str:
        """``consumer`` or ``staff``: which column of the channel defaults applies (hejie.notifications.kinds)."""
        return "consumer" if self.role == self.Role.CONSUMER else "staff"

    @property
    def sms_number(self) -> str:
        """Where this person's SMS go: a consumer's sign-in phone, a staff member's confirmed mobile."""
        if self.role == self.Role.CONSUMER:
            return self.phone or ""
        return self.mobile if self.mobile_verified_at is not None else ""

    def __str__(self) -> str:
        return self.display_name or self.username


class OneTimeCode(models.Model):
    """A code sent by SMS: to sign in, or to prove a phone number is the sender's (joining).
    Only its hash is stored; a code serves only its own purpose."""

    class Purpose(models.TextChoices):
        SIGNIN = "signin", "sign in"
        JOIN = "join", "join (contact phone)"
        MOBILE = "mobile", "staff mobile"
        CLAIM = "claim", "claim a business"
        PARTNER = "partner", "partner application (admin's mobile)"
        CLOSE = "close", "close my account"

    phone = models.CharField(max_length=11)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.SIGNIN)
    code_hash = models.CharField(max_length=128)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]


class ApiToken(models.Model):
    """A bearer token. Only the SHA-256 of the key is stored; revocable."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters, to tell tokens apart")
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class PasswordFailure(models.Model):
    """A wrong password: a staff sign-in, or the current password given to change it. The guess
    limit counts these rows (``hejie.accounts.services``, ``PASSWORD_*``), per username and per
    client address, so it holds across processes on SQLite and PostgreSQL alike.

    The row is written (in a transaction of its own) before the password is checked and deleted
    if the check succeeds, so concurrent guesses cannot slip past the limit. ``username`` is as
    typed, trimmed and lowercased, known or not. ``ip`` is the client's address (an IPv6 client's
    /64 network). ``cleared_at``: a later success of the same username cleared it; it then counts
    for its address only. Rows older than a day are pruned as new ones are written.
    """

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["ip", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.ip or '-'} {self.at:%Y-%m-%d %H:%M:%S}"


class CodeFailure(models.Model):
    """A wrong SMS code (signing in, or proving a phone for joining, claiming, a staff mobile), with the
    client address it came from. The sign-in throttle (``hejie.accounts.throttle``) counts these rows
    per (phone, address) and per address, so a guesser cools off their own address and never the
    phone's owner. ``cleared_at``: a right code from the same address cleared it (it still counts
    for the address). Rows older than a day are pruned as new ones are written.
    """

    phone = models.CharField(max_length=11)
    purpose = models.CharField(max_length=16, choices=OneTimeCode.Purpose.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "at"]),
            models.Index(fields=["ip", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.ip or '-'} {self.at:%Y-%m-%d %H:%M:%S}"
