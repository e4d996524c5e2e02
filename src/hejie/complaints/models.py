from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hejie.accounts import access
from hejie.audit import chain
from hejie.complaints.events import EventType
from hejie.complaints.states import OPEN_STATES, Side, State
from hejie.core import clock


def _default_tiers():
    # [seconds since delivery (inclusive), stars, credit points]
    return [[24 * 3600, 5, 10], [3 * 86400, 4, 8], [7 * 86400, 3, 6], [14 * 86400, 2, 4]]


def _default_auto_urges():
    return [
        {"after_hours": 24, "kind": "no_response"},
        {"after_hours": 7 * 24, "kind": "unsettled"},
        {"after_hours": 12 * 24, "kind": "unsettled"},
    ]


def _default_reminders():
    return [72, 144]


# The council's limits in working days (``Policy``), each at least 1 and at most a working year.
COUNCIL_CLOCKS = ("review_workdays", "mediation_workdays", "mediation_extension_max_workdays", "appeal_workdays",
                  "council_reminder_workdays")
MAX_WORKDAYS = 250


class Policy(models.Model):
    """The time rules, in one row an operator can change in the admin.

    Deadlines are computed from the policy in force at each transition and
    stored on the order; a change applies to transitions after it.
    """

    first_response_hours = models.PositiveIntegerField(default=24)
    settle_days = models.PositiveIntegerField(default=14)
    score_tiers = models.JSONField(default=_default_tiers, help_text="[[seconds, stars, points], …] ascending")
    auto_urges = models.JSONField(default=_default_auto_urges)
    consumer_silence_days = models.PositiveIntegerField(default=7)
    consumer_reminder_hours = models.JSONField(default=_default_reminders)
    mediation_request_days = models.PositiveIntegerField(default=30)
    rating_window_days = models.PositiveIntegerField(default=365)
    rating_prior_points = models.DecimalField(max_digits=4, decimal_places=2, default=6)
    rating_prior_stars = models.DecimalField(max_digits=3, decimal_places=2, default=3)
    rating_prior_weight = models.PositiveIntegerField(default=5)
    blacklist_failed_count = models.PositiveIntegerField(default=3)
    blacklist_window_days = models.PositiveIntegerField(default=90)
    # The council's own clocks, in working days (``hejie.workdays.calendar``), after the 12315 rules.
    review_workdays = models.PositiveIntegerField(
        default=7, help_text="working days to forward or reject an order in the review queue")
    mediation_workdays = models.PositiveIntegerField(default=45, help_text="working days for a mediation")
    mediation_extension_max_workdays = models.PositiveIntegerField(
        default=45, help_text="the most working days one recorded extension of a mediation may add")
    appeal_workdays = models.PositiveIntegerField(default=15, help_text="working days to decide an appeal")
    council_reminder_workdays = models.PositiveIntegerField(
        default=1, help_text="working days before a council deadline its staff are reminded")
    # The privacy lifecycle (PIPL; ``complaints.retention``): closed orders' personal data is
    # pseudonymised this many days after the order closed; abandoned drafts and one-time codes
    # (with the throttle's spent rows) are deleted sooner.
    retention_days = models.PositiveIntegerField(
        default=1095, help_text="days after an order closed before its personal data is pseudonymised")
    draft_keep_days = models.PositiveIntegerField(default=30, help_text="days an untouched draft is kept")
    code_keep_days = models.PositiveIntegerField(
        default=1, help_text="days one-time codes and spent sign-in throttle rows are kept")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "policy"

    def __str__(self) -> str:
        return "Time rules"

    def clean(self):
        errors = {}
        tiers = self.score_tiers
        ok = isinstance(tiers, list) and tiers and all(
            isinstance(t, list) and len(t) == 3 and all(isinstance(x, int) and x >= 0 for x in t) for t in tiers
        )
        if not ok:
            errors["score_tiers"] = "a non-empty list of [seconds, stars, points] with whole numbers"
        elif [t[0] for t in tiers] != sorted(t[0] for t in tiers):
            errors["score_tiers"] = "tiers must ascend by seconds"
        elif any(t[1] > 5 or t[2] > 10 for t in tiers):
            errors["score_tiers"] = "stars are 0-5 and points 0-10"
        urges = self.auto_urges
        if not (isinstance(urges, list) and all(
            isinstance(u, dict) and isinstance(u.get("after_hours"), int) and u["after_hours"] > 0
            and u.get("kind") in ("no_response", "unsettled") for u in urges
        )):
            errors["auto_urges"] = 'a list of {"after_hours": N, "kind": "no_response" | "unsettled"}'
        elif [u["after_hours"] for u in urges] != sorted(u["after_hours"] for u in urges):
            errors["auto_urges"] = "urges must ascend by after_hours"
        hours = self.consumer_reminder_hours
        valid_hours = isinstance(hours, list) and all(isinstance(h, int) and h > 0 for h in hours)
        if not (valid_hours and hours == sorted(hours)):
            errors["consumer_reminder_hours"] = "an ascending list of whole hours"
        for name in ("settle_days", "first_response_hours", "consumer_silence_days", "rating_window_days",
                     "blacklist_window_days", "blacklist_failed_count", "retention_days", "draft_keep_days",
                     "code_keep_days", *COUNCIL_CLOCKS):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                errors[name] = "must be at least 1"
        for name in COUNCIL_CLOCKS:
            value = getattr(self, name)
            if name not in errors and value is not None and value > MAX_WORKDAYS:
                errors[name] = f"at most {MAX_WORKDAYS} working days"
        if (self.retention_days is not None and self.mediation_request_days is not None
                and self.retention_days <= self.mediation_request_days):
            # a failed order may still go to mediation: its data must outlive that window
            errors["retention_days"] = "must be longer than mediation_request_days"
        if errors:
            raise ValidationError(errors)


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def visible_to(self, user: access.Viewer) -> ComplaintQuerySet:
        """The one scoping rule (``access.orders_q``): consumers see their own orders,
        business staff their business's, council staff their jurisdiction's subtree,
        operators everything. Anyone else sees nothing."""
        return self.filter(access.orders_q(user))


class Complaint(models.Model):
    class ProblemType(models.TextChoices):
        QUALITY = "quality", _("质量")
        PRICE = "price", _("价格")
        FALSE_ADVERTISING = "false_advertising", _("虚假宣传")
        CONTRACT = "contract", _("合同")
        RETURN = "return", _("退换货")
        PREPAID_CARD = "prepaid_card", _("预付卡")
        SAFETY = "safety", _("安全")
        SERVICE = "service", _("服务")
        OTHER = "other", _("其他")

    class ClaimType(models.TextChoices):
        REFUND = "refund", _("退款")
        EXCHANGE = "exchange", _("换货")
        REPAIR = "repair", _("维修")
        COMPENSATION = "compensation", _("赔偿")
        APOLOGY = "apology", _("道歉")
        OTHER = "other", _("其他")

    class Fulfilment(models.TextChoices):
        NONE = "", "—"
        CLAIMED = "claimed", _("经营者称已履行")
        CONFIRMED = "confirmed", _("消费者确认已履行")
        NOT_FULFILLED = "not_fulfilled", _("消费者称未履行")

    number = models.CharField(max_length=24, unique=True)
    consumer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints")
    business = models.ForeignKey(
        "businesses.Business", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    store = models.ForeignKey("businesses.Store", null=True, blank=True, on_delete=models.PROTECT)
    business_name_given = models.CharField(max_length=120, blank=True, help_text="for a business not on the platform")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="complaints")
    region_l1 = models.CharField(max_length=6)
    region_l2 = models.CharField(max_length=6, null=True, blank=True)
    region_l3 = models.CharField(max_length=6, null=True, blank=True)

    problem_type = models.CharField(max_length=24, choices=ProblemType.choices)
    description = models.TextField()
    claim_type = models.CharField(max_length=16, choices=ClaimType.choices)
    claim_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    purchase_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    purchase_date = models.DateField(null=True, blank=True)
    order_ref = models.CharField(max_length=64, blank=True)
    matter_key = models.CharField(max_length=200, help_text="what makes two complaints 'the same matter'")

    state = models.CharField(max_length=20, choices=State.choices)
    review_reason = models.CharField(max_length=200, blank=True, help_text="why it went to the council's queue")
    closing_reason = models.TextField(blank=True)
    forwarded_to = models.CharField(max_length=120, blank=True)

    created_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    settle_by = models.DateTimeField(null=True, blank=True)
    consumer_reply_by = models.DateTimeField(null=True, blank=True)
    next_urge_at = models.DateTimeField(null=True, blank=True)
    auto_urge_level = models.PositiveSmallIntegerField(default=0)
    consumer_reminder_level = models.PositiveSmallIntegerField(default=0)
    next_deadline_at = models.DateTimeField(
        null=True, blank=True, help_text="earliest time the sweep has something to do with this order"
    )
    # the council's review clock (``hejie.oversight.clocks``): set when the order enters the review queue
    review_by = models.DateTimeField(null=True, blank=True)
    review_reminded_at = models.DateTimeField(null=True, blank=True)
    review_urged_at = models.DateTimeField(null=True, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    # The case's score, set once when the reconciliation ends (settled/failed).
    stars = models.PositiveSmallIntegerField(null=True, blank=True)
    credit_points = models.PositiveSmallIntegerField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    fulfilment = models.CharField(max_length=16, choices=Fulfilment.choices, default="", blank=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    # Idempotent filing: a client's retry with the same key and the same body
    # gets the same order back, never a second one.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    request_hash = models.CharField(max_length=64, blank=True, help_text="sha256 of the normalised filing")

    # When the retention purge (or the consumer's closing of their account) pseudonymised this
    # closed order: free text masked, evidence files deleted (``complaints.retention``).
    pseudonymised_at = models.DateTimeField(null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    # Not a column: set on an order that a repeated filing found already filed (``drafts``).
    idempotent_replay: bool

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_deadline_at"], name="cmp_next_deadline",
                         condition=Q(next_deadline_at__isnull=False)),
            models.Index(fields=["region_l1", "state", "created_at"], name="cmp_l1_state"),
            models.Index(fields=["region_l2", "state", "created_at"], name="cmp_l2_state"),
            models.Index(fields=["region_l3", "state", "created_at"], name="cmp_l3_state"),
            # a jurisdiction's orders newest first (the council's order list), whatever their state
            models.Index(fields=["region_l1", "created_at", "id"], name="cmp_l1_created"),
            models.Index(fields=["region_l2", "created_at", "id"], name="cmp_l2_created"),
            models.Index(fields=["region_l3", "created_at", "id"], name="cmp_l3_created"),
            models.Index(fields=["business", "state", "created_at"], name="cmp_business_state"),
            models.Index(fields=["business", "scored_at"], name="cmp_business_scored",
                         condition=Q(scored_at__isnull=False)),
            models.Index(fields=["consumer", "created_at"], name="cmp_consumer"),
            models.Index(fields=["respond_by"], name="cmp_awaiting_response",
                         condition=Q(first_response_at__isnull=True, respond_by__isnull=False)),
            models.Index(fields=["settle_by"], name="cmp_settle_by", condition=Q(settle_by__isnull=False)),
            models.Index(fields=["review_by"], name="cmp_review_by",
                         condition=Q(state="pending_review", review_by__isnull=False)),
            # the orders the retention purge has yet to reach, oldest outcome first (built
            # concurrently on PostgreSQL: migration 0013)
            models.Index(fields=["outcome_at", "id"], name="cmp_retention_due",
                         condition=Q(pseudonymised_at__isnull=True, outcome_at__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "matter_key"], condition=Q(state__in=sorted(OPEN_STATES)),
                name="cmp_one_open_per_matter",
            ),
            models.UniqueConstraint(
                fields=["consumer", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                name="cmp_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(state__in=State.values), name="cmp_state_valid"),
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__lte=5), name="cmp_stars_range"
            ),
            models.CheckConstraint(
                condition=Q(credit_points__isnull=True) | Q(credit_points__lte=10), name="cmp_points_range"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="cmp_satisfaction_range",
            ),
            models.CheckConstraint(
                condition=Q(claim_amount__isnull=True) | Q(claim_amount__gte=0), name="cmp_claim_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(business__isnull=False) | ~Q(state__in=["delivered", "negotiating", "settled"]),
                name="cmp_delivered_has_business",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def business_display_name(self) -> str:
        business = self.business  # None without a query when there is no business_id
        return business.name if business is not None else self.business_name_given


class ComplaintEventQuerySet(models.QuerySet["ComplaintEvent"]):
    def update(self, **kwargs):
        raise TypeError("the timeline is append-only")

    def delete(self):
        raise TypeError("the timeline is append-only")


class ComplaintEvent(models.Model):
    """One step on an order's timeline. Append-only: the audit record, and the fact the
    figures, ratings, lists, notices and webhooks follow (``hejie.complaints.events``)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=40, choices=EventType.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    side = models.CharField(max_length=10, choices=Side.choices)
    state_from = models.CharField(max_length=20, blank=True)
    state_to = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    payload = models.JSONField(default=dict, blank=True)
    # The order's chain (``hejie.audit.chain.event_hash``): the event's number on the order's
    # timeline, the digest of its payload, the previous event's hash and its own.
    seq = models.PositiveIntegerField(default=0)
    payload_digest = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    # Not a column: what the writing service hands the consumers (``events.record``).
    context: dict[str, Any]

    objects = ComplaintEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="evt_complaint")]
        constraints = [models.UniqueConstraint(fields=["complaint", "seq"], name="evt_chain_seq")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the timeline is append-only")
        # Chain it to the order's last event: one query (the writer holds the order's lock).
        last = (ComplaintEvent.objects.filter(complaint_id=self.complaint_id).order_by("-seq")
                .values_list("seq", "hash").first())
        self.seq, self.prev_hash = (last[0] + 1, last[1]) if last else (1, "")
        self.payload = chain.normal(self.payload if self.payload is not None else {})
        self.payload_digest = chain.payload_digest(self.payload)
        self.hash = self.compute_hash()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the timeline is append-only")

    def compute_hash(self) -> str:
        return chain.event_hash(order_id=self.complaint_id, seq=self.seq, kind=self.type, actor_id=self.actor_id,
                                at=self.created_at, prev_hash=self.prev_hash, payload_digest=self.payload_digest)


class Evidence(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("图片")
        PDF = "pdf", "PDF"

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="evidence")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    side = models.CharField(max_length=10, choices=Side.choices)
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)
    # The file was deleted from storage by the retention purge; the row stays as a stub (kind,
    # size, checksum, dates) so the timeline still says evidence was given.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class Message(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    side = models.CharField(max_length=10, choices=Side.choices)
    body = models.TextField()
    evidence = models.ForeignKey(Evidence, null=True, blank=True, on_delete=models.PROTECT)
    clause = models.ForeignKey("standards.StandardClause", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="messages", help_text="a service-standard clause cited (that version)")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="msg_complaint")]


class Proposal(models.Model):
    """A settlement offer (和解方案) from the business, or a counter-offer from
    the consumer. Only the consumer's acceptance of a business offer settles."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待回复")
        ACCEPTED = "accepted", _("已接受")
        REJECTED = "rejected", _("已拒绝")
        SUPERSEDED = "superseded", _("已被新方案替代")
        LAPSED = "lapsed", _("已失效")
        COUNTER = "counter", _("消费者还价")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="proposals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    side = models.CharField(max_length=10, choices=Side.choices)
    terms = models.TextField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reply_by = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)
    clause = models.ForeignKey("standards.StandardClause", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="proposals", help_text="a service-standard clause the offer rests on")
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(status="pending"), name="prop_one_pending_per_complaint"
            ),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="prop_amount_nonneg"),
        ]


class Urge(models.Model):
    """催办: an urge to the business, automatic (the sweep) or by council staff."""

    class Kind(models.TextChoices):
        AUTO = "auto", _("自动催办")
        MANUAL = "manual", _("人工催办")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="urges")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    reason = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")

    class Meta:
        ordering = ["created_at", "id"]


class Mediation(models.Model):
    """调解: three-party mediation by the council after a failure."""

    class Outcome(models.TextChoices):
        PENDING = "", _("进行中")
        SETTLED = "settled", _("调解成功")
        FAILED = "failed", _("调解失败")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="mediations")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=clock.now)
    reason = models.TextField(blank=True)
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default="", blank=True)
    terms = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # the council's clock: set when the mediation starts, moved once by a recorded extension
    decide_by = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    extension_workdays = models.PositiveIntegerField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    urged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint"], condition=Q(outcome=""), name="med_one_open"),
        ]


def _draft_token() -> str:
    import uuid

    return uuid.uuid4().hex


class ComplaintDraft(models.Model):
    """A consumer's complaint while it is being written: one per consumer, kept
    on the server so that a reload or a dropped connection loses nothing.
    ``data`` holds the fields as typed (see ``complaints.drafts``); ``token``
    names this draft in the filing's idempotency key. Deleted on filing."""

    consumer = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                    related_name="complaint_draft")
    token = models.CharField(max_length=32, unique=True, default=_draft_token)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return f"draft of {self.consumer_id}"


class DraftFile(models.Model):
    """An evidence file attached to a draft, checked exactly as evidence is
    (``complaints.evidence.inspect_upload``); it becomes an ``Evidence`` row of
    the complaint on filing. Served only to the draft's own consumer."""

    draft = models.ForeignKey(ComplaintDraft, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="drafts/%Y/%m/")
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, help_text="the type read from the bytes: jpeg, png, gif, webp, pdf")
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["draft", "sha256"], name="draftfile_unique_content")]


# --------------------------------------------------------------------------- the daily figures


class DayFigures(models.Model):
    """Orders filed on ``day`` (Asia/Shanghai) in ``node``'s subtree, against a business
    of ``industry`` ("" for a business not on the platform), now in ``state``: how many,
    and of those how many are settled, failed and settled within 24 hours. Every order
    counts once at each level of its region (province, prefecture, county), so any
    region's figures are its own rows. Kept by ``hejie.complaints.figures``."""

    node = models.CharField(max_length=6)
    level = models.PositiveSmallIntegerField()
    day = models.DateField()
    industry = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=20)
    total = models.IntegerField(default=0)
    settled = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    within_24h = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "day", "industry", "state"], name="dayfig_key")]
        indexes = [models.Index(fields=["level", "day"], name="dayfig_level_day")]


class DaySettleTimes(models.Model):
    """How many orders filed on ``day`` in ``node``'s subtree, of ``industry``, were
    settled ``bin`` tenths of an hour after delivery (to the nearest tenth):
    the distribution the medians and percentiles are read from."""

    node = models.CharField(max_length=6)
    level = models.PositiveSmallIntegerField()
    day = models.DateField()
    industry = models.CharField(max_length=32, blank=True)
    bin = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "day", "industry", "bin"], name="daytimes_key")]
        indexes = [models.Index(fields=["level", "day"], name="daytimes_level_day")]


class DayBusinessFigures(models.Model):
    """Orders filed on ``day`` against ``business`` in the region ``region`` (the order's
    own, with its three level codes): how many, settled, failed. For the council's
    top businesses and the surge rule."""

    business_id = models.IntegerField()
    day = models.DateField()
    region_id = models.CharField(max_length=6)
    region_l1 = models.CharField(max_length=6)
    region_l2 = models.CharField(max_length=6, null=True, blank=True)
    region_l3 = models.CharField(max_length=6, null=True, blank=True)
    total = models.IntegerField(default=0)
    settled = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business_id", "day", "region_id"], name="daybiz_key")]
        indexes = [
            models.Index(fields=["region_l1", "day"], name="daybiz_l1_day"),
            models.Index(fields=["region_l2", "day"], name="daybiz_l2_day"),
            models.Index(fields=["region_l3", "day"], name="daybiz_l3_day"),
            models.Index(fields=["day"], name="daybiz_day"),
        ]
