"""The black list (黑榜) and the red list (消费者满意商户): who qualifies, what
the public sees, and the council's decisions.

Black list. The engine makes a *candidate* when a business meets a rule
(``hejie.ratings.services.blacklist_check``: repeated failed cases in a
window, or a complaint never taken up). Nothing is public until a person of
the business's jurisdiction publishes it with a reason; a candidate may be
dismissed, a published entry removed (after rectification, or by decision).

Red list. A business is a candidate while, as of ``now``, all of these hold
(the constants below):

* it is active on the platform;
* its credit index is at least ``RED_MIN_CREDIT_INDEX`` (of 10) — the index
  is already shrunk toward the neutral prior, so a short record cannot reach it;
* at least ``RED_MIN_CASES`` cases were scored in the rating window
  (``Policy.rating_window_days``, default 365 days) — "enough cases";
* at least ``RED_MIN_SETTLEMENT_RATE`` of those cases were settled (settled ÷
  settled-or-failed in the window: a case withdrawn by the consumer, or closed
  because the consumer went silent, counts neither way);
* it has no black-list history in the window: no open entry (candidate or
  published) at all, and no entry published within the window. A candidate
  the council dismissed does not count against it;
* it is not on the red list already.

The council confirms a candidate (never a business that does not qualify: the
list is not for sale); a business that is published on the black list leaves
the red list in the same decision.

Every decision — publish, dismiss, remove, confirm — is taken by council staff
of the business's jurisdiction subtree or an operator, in one transaction with
the entry locked, records who, when and why (``ListDecision``, append-only),
and tells the business's staff.

Who may decide, and what an outsider is told: what the public can see (a
published black-list entry, a confirmed red-list entry, a business on the
public record) answers 403 to an outsider; anything else (a candidate, a
dismissed or removed entry, an application) answers 404 — it does not exist
for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Model, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from hejie.accounts import access
from hejie.audit.services import Action, audit_record
from hejie.businesses.models import Business
from hejie.businesses.selectors import PUBLIC_STATUSES
from hejie.complaints.evidence import TYPES, inspect_upload, upload_name
from hejie.complaints.models import Complaint
from hejie.complaints.policy import appeal_decide_by, get_policy
from hejie.core import clock
from hejie.core.errors import Conflict, DomainError, NotAllowed, NotFound, invalid
from hejie.core.storage import storage_errors
from hejie.core.validation import clean_text
from hejie.notifications.services import notify
from hejie.ratings.models import AppealFile, BlacklistAppeal, BlacklistEntry, ListDecision, RedListEntry

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from hejie.accounts.access import Viewer
    from hejie.accounts.models import User
    from hejie.regions.models import Region

M = TypeVar("M", bound=Model)

RED_MIN_CREDIT_INDEX = Decimal("8.00")
RED_MIN_CASES = 10
RED_MIN_SETTLEMENT_RATE = Decimal("0.90")
CANDIDATES_MAX = 500  # red-list candidates listed per call, best first

REASON_MAX = 1000
# What the public (and a list page) shows of each case: no consumer data.
CASE_FIELDS = ("id", "number", "created_at", "delivered_at", "first_response_at", "outcome_at", "scored_at",
               "state")


# ----------------------------------------------------------------------------- reads


def _cases_prefetch() -> Prefetch[str]:
    return Prefetch("cases", queryset=Complaint.objects.only(*CASE_FIELDS).order_by("created_at", "id"))


def _in_region(qs: QuerySet[M], region: Region | None) -> QuerySet[M]:
    return qs.filter(**region.subtree_filter("business__")) if region is not None else qs


def blacklist_entries() -> QuerySet[BlacklistEntry]:
    """Black-list entries with what a list page shows: the business, its region, the cases."""
    return BlacklistEntry.objects.select_related("business__region").prefetch_related(_cases_prefetch())


def blacklist_published(*, region: Region | None = None) -> QuerySet[BlacklistEntry]:
    """The public black list: published entries."""
    return _in_region(blacklist_entries().filter(status=BlacklistEntry.Status.PUBLISHED), region)


def blacklist_candidates(*, region: Region | None) -> QuerySet[BlacklistEntry]:
    """Black-list candidates awaiting a decision, in ``region``'s subtree (all if None)."""
    return _in_region(blacklist_entries().filter(status=BlacklistEntry.Status.CANDIDATE), region)


def redlist_entries() -> QuerySet[RedListEntry]:
    return RedListEntry.objects.select_related("business__region")


def redlist_confirmed(*, region: Region | None = None) -> QuerySet[RedListEntry]:
    """The public red list: confirmed entries."""
    return _in_region(redlist_entries().filter(status=RedListEntry.Status.CONFIRMED), region)


def _blacklist_history(now: dt.datetime, since: dt.datetime) -> Q:
    """Businesses with a black-list record that bars the red list."""
    return Q(status__in=[BlacklistEntry.Status.CANDIDATE, BlacklistEntry.Status.PUBLISHED]) | Q(
        published_at__gt=since, published_at__lte=now
    )


def _unmet(*, business: Business, cases: int, settled: int, blacklisted: bool, on_red_list: bool) -> list[str]:
    """Which red-list conditions ``business`` fails (empty: it qualifies)."""
    unmet = []
    if business.status != Business.Status.ACTIVE:
        unmet.append(_("商户未处于入驻状态"))
    if business.credit_index is None or business.credit_index < RED_MIN_CREDIT_INDEX:
        unmet.append(_("信用指数低于%(index)s") % {"index": RED_MIN_CREDIT_INDEX})
    if cases < RED_MIN_CASES:
        unmet.append(ngettext("窗口期内结案不足%(n)d件", "窗口期内结案不足%(n)d件", RED_MIN_CASES)
                     % {"n": RED_MIN_CASES})
    elif Decimal(settled) / Decimal(cases) < RED_MIN_SETTLEMENT_RATE:
        unmet.append(_("和解率低于%(rate)s") % {"rate": f"{RED_MIN_SETTLEMENT_RATE:.0%}"})
    if blacklisted:
        unmet.append(_("窗口期内有黑榜记录"))
    if on_red_list:
        unmet.append(_("已在红榜"))
    return unmet


def _window_counts(business_ids: list[int], since: dt.datetime, now: dt.datetime) -> dict[int, tuple[int, int]]:
    rows = (
        Complaint.objects.filter(business_id__in=business_ids, scored_at__gt=since, scored_at__lte=now)
        .values("business_id")
        .annotate(n=Count("id"), settled=Count("id", filter=Q(settled_at__isnull=False)))
        .order_by()
    )
    return {r["business_id"]: (r["n"], r["settled"]) for r in rows}


def _window(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=get_policy().rating_window_days)


class WindowFigures(TypedDict):
    """What ``_qualifying`` annotates each business with."""

    window_cases: int
    window_settled: int
    settled_x100: int


def _qualifying(now: dt.datetime) -> QuerySet[WithAnnotations[Business, WindowFigures]]:
    """The red-list rule as one query: businesses that qualify as of ``now``,
    annotated with ``window_cases`` and ``window_settled``."""
    since = _window(now)
    barred = BlacklistEntry.objects.filter(_blacklist_history(now, since)).values("business_id")
    listed = RedListEntry.objects.filter(status=RedListEntry.Status.CONFIRMED).values("business_id")
    in_window = Q(complaints__scored_at__gt=since, complaints__scored_at__lte=now)
    rate_percent = int(RED_MIN_SETTLEMENT_RATE * 100)
    return (
        Business.objects.filter(status=Business.Status.ACTIVE, credit_index__gte=RED_MIN_CREDIT_INDEX,
                                rated_cases__gte=RED_MIN_CASES)
        .exclude(pk__in=barred)
        .exclude(pk__in=listed)
        .annotate(
            window_cases=Count("complaints", filter=in_window),
            window_settled=Count("complaints", filter=in_window & Q(complaints__settled_at__isnull=False)),
        )
        .annotate(settled_x100=F("window_settled") * 100)
        .filter(window_cases__gte=RED_MIN_CASES, settled_x100__gte=F("window_cases") * rate_percent)
    )


def _candidate_row(business: Business, cases: int, settled: int) -> dict[str, Any]:
    return {
        "business": business,
        "credit_index": business.credit_index,
        "star_rating": business.star_rating,
        "cases": cases,
        "settled": settled,
        "settlement_rate": round(settled / cases, 3) if cases else None,
    }


def redlist_candidates(*, region: Region | None, now: dt.datetime | None = None,
                       limit: int = CANDIDATES_MAX) -> list[dict[str, Any]]:
    """Businesses in ``region``'s subtree (all if None) that qualify for the red
    list as of ``now`` (the rule in the module docstring), best credit index
    first. One query (the policy row aside), whatever the size of the region."""
    qs = _qualifying(now or clock.now())
    if region is not None:
        qs = qs.filter(**region.subtree_filter())
    rows = qs.select_related("region", "industry").order_by("-credit_index", "name", "id")[:limit]
    return [_candidate_row(b, b.window_cases, b.window_settled) for b in rows]


def redlist_assess(*, business: Business, now: dt.datetime | None = None) -> dict[str, Any]:
    """One business against the red-list rule: its figures, and in ``unmet``
    what it lacks, said in words (empty when it qualifies)."""
    now = now or clock.now()
    since = _window(now)
    cases, settled = _window_counts([business.pk], since, now).get(business.pk, (0, 0))
    blacklisted = BlacklistEntry.objects.filter(_blacklist_history(now, since), business_id=business.pk).exists()
    on_red = RedListEntry.objects.filter(business_id=business.pk, status=RedListEntry.Status.CONFIRMED).exists()
    row = _candidate_row(business, cases, settled)
    row["on_red_list"] = on_red
    row["unmet"] = _unmet(business=business, cases=cases, settled=settled, blacklisted=blacklisted,
                          on_red_list=on_red)
    return row


# ----------------------------------------------------------------------------- decisions


def _reason(reason: str | None) -> str:
    return clean_text(reason, field="reason", label="理由", max_length=REASON_MAX)


def _may_decide(actor: User | None, business: Business, *, public: bool) -> None:
    if access.in_jurisdiction(actor, business):
        return
    if not public:
        raise NotFound(_("不存在"))
    raise NotAllowed(_("只有商户所在辖区的消委或运营人员可以作出榜单决定"))


def _staff_of(business: Business) -> QuerySet[User]:
    return get_user_model().objects.filter(business_id=business.pk, is_active=True)


def _record(*, entry: BlacklistEntry | RedListEntry, action: str, actor: User | None, reason: str,
            now: dt.datetime) -> ListDecision:
    black = entry if isinstance(entry, BlacklistEntry) else None
    red = entry if isinstance(entry, RedListEntry) else None
    audit_record(actor=actor, action=Action.LIST_DECISION, object_type="blacklist" if black else "redlist",
                 object_id=entry.pk, jurisdiction=entry.business.region_id, at=now,
                 detail={"decision": str(action), "business_id": entry.business_id, "reason": reason})
    return ListDecision.objects.create(business_id=entry.business_id, blacklist_entry=black, redlist_entry=red,
                                       action=action, actor=actor, reason=reason, created_at=now)


def _lock_black(entry: BlacklistEntry | int) -> BlacklistEntry:
    pk = entry.pk if isinstance(entry, BlacklistEntry) else entry
    try:
        return BlacklistEntry.objects.select_for_update(of=("self",)).select_related("business").get(pk=int(pk))
    except (BlacklistEntry.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("黑榜记录不存在")) from None


def _lock_red(entry: RedListEntry | int) -> RedListEntry:
    pk = entry.pk if isinstance(entry, RedListEntry) else entry
    try:
        return RedListEntry.objects.select_for_update(of=("self",)).select_related("business").get(pk=int(pk))
    except (RedListEntry.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("红榜记录不存在")) from None


def _wrong_state(entry: BlacklistEntry | RedListEntry, verb: str) -> Conflict:
    """``verb``: what cannot be done, as ``pgettext("list entry cannot be", ...)`` gives it."""
    return Conflict(
        _("该记录当前为「%(status)s」，不能%(verb)s") % {"status": entry.get_status_display(), "verb": verb},
        code="wrong_state",
    )


def _black_decision(*, actor: User, entry: BlacklistEntry | int, reason: str, allowed_from: str, to: str,
                    action: str, verb: str) -> BlacklistEntry:
    with transaction.atomic():
        locked = _lock_black(entry)
        _may_decide(actor, locked.business, public=locked.status == BlacklistEntry.Status.PUBLISHED)
        if locked.status != allowed_from:
            raise _wrong_state(locked, verb)
        now = clock.now()
        locked.status = to
        locked.decided_at = now
        locked.decided_by = actor
        fields = ["status", "decided_at", "decided_by"]
        if to == BlacklistEntry.Status.PUBLISHED:
            locked.published_at = now
            locked.public_reason = reason
            fields += ["published_at", "public_reason"]
        locked.save(update_fields=fields)
        _record(entry=locked, action=action, actor=actor, reason=reason, now=now)
        return locked


def blacklist_publish(*, actor: User, entry: BlacklistEntry | int, reason: str) -> BlacklistEntry:
    """Publish a candidate on the black list, with the council's reason. A red-list
    entry of the business ends in the same decision. The business is told it may appeal."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = _black_decision(actor=actor, entry=entry, reason=reason, allowed_from=BlacklistEntry.Status.CANDIDATE,
                                 to=BlacklistEntry.Status.PUBLISHED, action=ListDecision.Action.PUBLISH,
                                 verb=pgettext("list entry cannot be", "公布"))
        business = locked.business
        red = (RedListEntry.objects.select_for_update()
               .filter(business_id=business.pk, status__in=[RedListEntry.Status.CANDIDATE,
                                                            RedListEntry.Status.CONFIRMED]).first())
        if red is not None:
            red.status = RedListEntry.Status.REMOVED
            red.decided_at, red.decided_by = locked.published_at, actor
            red.save(update_fields=["status", "decided_at", "decided_by"])
            _record(entry=red, action=ListDecision.Action.REMOVE, actor=actor,
                    now=locked.published_at,  # type: ignore[arg-type]  # set by _black_decision just now
                    reason="列入黑榜，同时移出红榜 (published on the black list, so removed from the red list)")
        notify(
            users=_staff_of(business), event="blacklist_published",
            title=f"{business.name}已被列入黑榜",
            body=f"理由：{locked.public_reason}。如有异议，可以申诉；整改后可申请移出。",
        )
    return locked


def blacklist_dismiss(*, actor: User, entry: BlacklistEntry | int, reason: str) -> BlacklistEntry:
    """Decide not to publish a candidate (it never becomes public)."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = _black_decision(actor=actor, entry=entry, reason=reason, allowed_from=BlacklistEntry.Status.CANDIDATE,
                                 to=BlacklistEntry.Status.DISMISSED, action=ListDecision.Action.DISMISS,
                                 verb=pgettext("list entry cannot be", "不予公布"))
        notify(users=_staff_of(locked.business), event="blacklist_dismissed",
               title=f"{locked.business.name}的黑榜候选记录经审核不予公布",
               body=f"理由：{reason}")
    return locked


def blacklist_remove(*, actor: User, entry: BlacklistEntry | int, reason: str) -> BlacklistEntry:
    """Take a published entry off the black list (after rectification, or on appeal)."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = _black_decision(actor=actor, entry=entry, reason=reason, allowed_from=BlacklistEntry.Status.PUBLISHED,
                                 to=BlacklistEntry.Status.REMOVED, action=ListDecision.Action.REMOVE,
                                 verb=pgettext("list entry cannot be", "移出"))
        notify(users=_staff_of(locked.business), event="blacklist_removed",
               title=f"{locked.business.name}已移出黑榜",
               body=f"理由：{reason}")
    return locked


def redlist_confirm(*, actor: User, business: Business | int, reason: str) -> RedListEntry:
    """Put a qualifying business on the red list. A business that does not meet
    the rule as of now cannot be confirmed (409 with what it lacks)."""
    reason = _reason(reason)
    pk = business.pk if isinstance(business, Business) else business
    with transaction.atomic():
        try:
            locked = Business.objects.select_for_update().get(pk=int(pk))
        except (Business.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("商户不存在")) from None
        _may_decide(actor, locked, public=locked.status in PUBLIC_STATUSES)
        now = clock.now()
        if not _qualifying(now).filter(pk=locked.pk).exists():
            assessment = redlist_assess(business=locked, now=now)
            if assessment["on_red_list"]:
                raise Conflict(_("该商户已在红榜"), code="duplicate")
            raise Conflict(
                _("该商户不符合红榜条件：%(unmet)s") % {"unmet": "；".join(assessment["unmet"] or ["—"])},
                code="not_a_candidate",
            )
        entry = (RedListEntry.objects.select_for_update()
                 .filter(business_id=locked.pk, status=RedListEntry.Status.CANDIDATE).first())
        if entry is None:
            entry = RedListEntry(business=locked, created_at=now)
        entry.business = locked
        entry.status = RedListEntry.Status.CONFIRMED
        entry.reason = reason
        entry.decided_at, entry.decided_by = now, actor
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:
            raise Conflict(_("该商户已在红榜"), code="duplicate") from None
        _record(entry=entry, action=ListDecision.Action.CONFIRM, actor=actor, reason=reason, now=now)
        notify(users=_staff_of(locked), event="redlist_confirmed",
               title=f"{locked.name}入选消费者满意商户", body=f"理由：{reason}")
    return entry


def redlist_remove(*, actor: User, entry: RedListEntry | int, reason: str) -> RedListEntry:
    """Take a business off the red list (or drop a stored candidate)."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = _lock_red(entry)
        _may_decide(actor, locked.business, public=locked.status == RedListEntry.Status.CONFIRMED)
        if locked.status == RedListEntry.Status.REMOVED:
            raise _wrong_state(locked, pgettext("list entry cannot be", "移出"))
        now = clock.now()
        locked.status = RedListEntry.Status.REMOVED
        locked.decided_at, locked.decided_by = now, actor
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        _record(entry=locked, action=ListDecision.Action.REMOVE, actor=actor, reason=reason, now=now)
        notify(users=_staff_of(locked.business), event="redlist_removed",
               title=f"{locked.business.name}已移出消费者满意商户名单",
               body=f"理由：{reason}")
    return locked


# ------------------------------------------------------------------ appeals and removal by rule

BLACKLIST_CLEAN_DAYS = 180  # a published entry ends by rule after this many days without a failed case
APPEAL_TEXT_MAX = 2000
APPEAL_FILES_MAX = 5


def blacklist_appeal(*, actor: User, entry: BlacklistEntry | int, text: str,
                     files: Sequence[tuple[str, bytes]] = ()) -> BlacklistAppeal:
    """The business appeals against its published entry, with a text and up to
    APPEAL_FILES_MAX files (images or PDF, checked as order evidence is). One
    appeal waits at a time; the council of its jurisdiction is told."""
    import hashlib
    import uuid

    from django.core.files.base import ContentFile

    text = clean_text(text, field="text", label="申诉理由", max_length=APPEAL_TEXT_MAX, required=True)
    if len(files) > APPEAL_FILES_MAX:
        raise invalid("files", ngettext("最多%(n)d个附件", "最多%(n)d个附件", APPEAL_FILES_MAX)
                      % {"n": APPEAL_FILES_MAX})
    checked = []
    for name, data in files:  # every file is checked before anything is written
        name = upload_name(name)
        try:
            kind, stored = inspect_upload(name, data)
        except DomainError as exc:
            message = exc.message if name in exc.message else f"{name}：{exc.message}"  # PDF refusals name it
            raise type(exc)(message, code=exc.code, fields={"files": exc.message}) from None
        checked.append((name, kind, stored))
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock_black(entry)
            if not access.is_staff_of_business(actor, locked.business_id):
                if locked.status != BlacklistEntry.Status.PUBLISHED:
                    raise NotFound(_("黑榜记录不存在"))
                raise NotAllowed(_("只有被列入黑榜的商户可以申诉"))
            if locked.status != BlacklistEntry.Status.PUBLISHED:
                raise _wrong_state(locked, pgettext("list entry cannot be", "申诉"))
            if locked.appeals.filter(status=BlacklistAppeal.Status.PENDING).exists():
                raise Conflict(_("已有一项申诉正在处理"), code="duplicate")
            now = clock.now()
            appeal = BlacklistAppeal.objects.create(entry=locked, author=actor, text=text, created_at=now,
                                                    decide_by=appeal_decide_by(now, get_policy()))
            for name, kind, stored in checked:
                content_type, ext = TYPES[kind][:2]
                row = AppealFile(appeal=appeal, original_name=name, content_type=content_type, size=len(stored),
                                 sha256=hashlib.sha256(stored).hexdigest())
                with storage_errors():
                    row.file.save(f"{appeal.pk}/{uuid.uuid4().hex}.{ext}", ContentFile(stored), save=False)
                written.append(row.file.name)
                row.save()

            notify(users=access.council_covering(locked.business), event="blacklist_appealed",
                   title=f"黑榜申诉：{locked.business.name}", body=text[:200])
    except BaseException:
        for path in written:  # nothing half-written: no file without its row
            AppealFile.file.field.storage.delete(path)
        raise
    return appeal


def blacklist_appeal_decide(*, actor: User, appeal: BlacklistAppeal | int, upheld: bool,
                            reason: str) -> BlacklistAppeal:
    """The council decides an appeal. Upheld: the entry leaves the black list in
    the same decision (recorded as a removal). Rejected: the entry stays. The
    business is told either way, with the reason."""
    reason = _reason(reason)
    pk = appeal.pk if isinstance(appeal, BlacklistAppeal) else appeal
    with transaction.atomic():
        try:
            locked = (BlacklistAppeal.objects.select_for_update(of=("self",))
                      .select_related("entry__business").get(pk=int(pk)))
        except (BlacklistAppeal.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("申诉不存在")) from None
        business = locked.entry.business
        _may_decide(actor, business, public=False)
        if locked.status != BlacklistAppeal.Status.PENDING:
            raise Conflict(_("该申诉已处理"), code="wrong_state")
        now = clock.now()
        if upheld:
            entry = _lock_black(locked.entry_id)
            if entry.status == BlacklistEntry.Status.PUBLISHED:
                entry.status = BlacklistEntry.Status.REMOVED
                entry.decided_at, entry.decided_by = now, actor
                entry.save(update_fields=["status", "decided_at", "decided_by"])
                _record(entry=entry, action=ListDecision.Action.REMOVE, actor=actor, now=now,
                        reason=f"申诉成立 (appeal upheld)：{reason}")
        locked.status = BlacklistAppeal.Status.UPHELD if upheld else BlacklistAppeal.Status.REJECTED
        locked.decided_at, locked.decided_by, locked.decision_reason = now, actor, reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit_record(actor=actor, action=Action.APPEAL_DECISION, object_type="blacklist_appeal", object_id=locked.pk,
                     jurisdiction=business.region_id, at=now,
                     detail={"upheld": bool(upheld), "business_id": business.pk, "reason": reason})
        verdict = "申诉成立，已移出黑榜" if upheld else "申诉不成立，仍在黑榜"
        notify(users=_staff_of(business), event="blacklist_appeal_decided",
               title=f"{business.name}的黑榜申诉：{verdict}", body=f"理由：{reason}")
    return locked


def blacklist_expire(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Take off the black list, by rule, every published entry whose business has
    had no failed case for BLACKLIST_CLEAN_DAYS: published at least that long ago,
    and no case scored as failed since ``now - BLACKLIST_CLEAN_DAYS``. Recorded as a
    removal with no actor (the platform, by rule); the business is told. Idempotent:
    the sweep calls it on every pass."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=BLACKLIST_CLEAN_DAYS)
    failed_since = Complaint.objects.filter(business_id=OuterRef("business_id"), stars=0,
                                            scored_at__gt=cutoff, scored_at__lte=now)
    due = (BlacklistEntry.objects.filter(status=BlacklistEntry.Status.PUBLISHED, published_at__lte=cutoff)
           .filter(~Exists(failed_since)).order_by("published_at", "pk").values_list("pk", flat=True))
    removed = 0
    for pk in list(due[:batch_size]):
        with transaction.atomic():
            entry = _lock_black(pk)
            if entry.status != BlacklistEntry.Status.PUBLISHED:
                continue  # decided by a person meanwhile
            entry.status, entry.decided_at, entry.decided_by = BlacklistEntry.Status.REMOVED, now, None
            entry.save(update_fields=["status", "decided_at", "decided_by"])
            _record(entry=entry, action=ListDecision.Action.REMOVE, actor=None, now=now,
                    reason=f"{BLACKLIST_CLEAN_DAYS}天内无和解失败，按规则移出 "
                           f"(no failed case for {BLACKLIST_CLEAN_DAYS} days: removed by rule)")
            notify(users=_staff_of(entry.business), event="blacklist_removed",
                   title=f"{entry.business.name}已移出黑榜",
                   body=f"{BLACKLIST_CLEAN_DAYS}天内无和解失败")
            removed += 1
    return removed


def _sees_appeals(user: Viewer, entry: BlacklistEntry) -> bool:
    """Council staff overseeing the business (or operators); the business's own active staff
    once the entry was published (a candidate is not theirs to know of)."""
    if access.is_staff_of_business(user, entry.business_id):
        return entry.published_at is not None
    return access.in_jurisdiction(user, entry.business)


def blacklist_appeals_for(user: Viewer, entry_id: int | str) -> list[BlacklistAppeal]:
    """An entry's appeals, oldest first, with their files: for the business and its council
    (NotFound for anyone else)."""
    try:
        entry = BlacklistEntry.objects.select_related("business").get(pk=int(entry_id))
    except (BlacklistEntry.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("黑榜记录不存在")) from None
    if not _sees_appeals(user, entry):
        raise NotFound(_("黑榜记录不存在"))
    return list(entry.appeals.select_related("author", "decided_by").prefetch_related("files"))


def appeal_file_open_for(user: Viewer, appeal_id: int | str, file_id: int | str) -> AppealFile:
    """One file of an appeal, for the business and its council only (NotFound otherwise)."""
    try:
        row = AppealFile.objects.select_related("appeal__entry__business").get(pk=int(file_id),
                                                                              appeal_id=int(appeal_id))
    except (AppealFile.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("文件不存在")) from None
    if not _sees_appeals(user, row.appeal.entry):
        raise NotFound(_("文件不存在"))
    return row
