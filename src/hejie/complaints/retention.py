"""The privacy lifecycle (PIPL): what is kept, how long, and the purge that ends it.

The periods are in the policy row (``Policy.retention_days``, ``draft_keep_days``,
``code_keep_days``). ``privacy_purge`` (the Celery task ``hejie.complaints.privacy_purge``, daily
at 03:30 Asia/Shanghai, and ``hejie privacy_purge [--dry-run]``) does, in order:

1. **closed orders past retention** (an outcome ``retention_days`` ago, state not open, not yet
   pseudonymised; found on the partial index ``cmp_retention_due``), ``BATCH`` orders at a time:
   their evidence files are deleted from storage first (outside any transaction: a deletion is
   slow on a bucket and harmless to repeat), then one short transaction locks the batch, checks
   each order again, masks every free text with ``accounts.privacy.scrub`` (the description, the
   merchant's order reference, reasons, the rating comment, messages, offers and their refusals,
   urges' notes, mediations, the timeline's payloads), leaves the evidence rows as stubs
   (``removed_at``, no file, a neutral name) and sets ``Complaint.pseudonymised_at``. What the
   figures, ratings and lists read is not touched: business, store, region, industry, problem and
   claim types, amounts, states, dates, scores. Hash, digest and sequence columns of the timeline
   (the audit chain) are never written here: only ``payload``;
2. drafts untouched ``draft_keep_days`` (``drafts.drafts_purge``), with their files;
3. one-time codes older than ``code_keep_days`` and the sign-in throttle's spent rows
   (``accounts.services.codes_purge``);
4. the phones of accounts closed more than ``retention_days`` ago (``closed_accounts_release``).

Idempotent and resumable: each batch commits on its own and an order is done once
``pseudonymised_at`` is set, so a run that stops part way (or runs twice, or two at once: the
batch is claimed ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) leaves nothing half done that the next
run does not finish. Orders of a consumer who closes their account are pseudonymised at once
(``pseudonymise_orders``, from ``complaints.rights``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q

from hejie.accounts import services as account_services
from hejie.accounts.privacy import scrub, scrub_data
from hejie.complaints.drafts import drafts_purge
from hejie.complaints.models import (
    Complaint,
    ComplaintDraft,
    ComplaintEvent,
    Evidence,
    Mediation,
    Message,
    Proposal,
    Urge,
)
from hejie.complaints.policy import get_policy
from hejie.complaints.states import OPEN_STATES
from hejie.core import clock

log = logging.getLogger("hejie.complaints")

BATCH = 200  # orders per transaction: short enough that no lock is held for long (bench/privacy_purge.py)

# The free-text columns of each table that ``scrub`` masks.
COMPLAINT_TEXT = ("description", "order_ref", "review_reason", "closing_reason", "satisfaction_comment")
CHILD_TEXT: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (Message, ("body",)),
    (Proposal, ("terms", "reject_reason")),
    (Urge, ("note",)),
    (Mediation, ("reason", "terms")),
)


@dataclass
class PurgeReport:
    dry_run: bool = False
    orders: int = 0
    texts: int = 0  # rows whose text changed (order, message, offer, urge, mediation)
    events: int = 0  # timeline payloads rewritten
    evidence_files: int = 0
    batches: int = 0
    longest_batch: float = 0.0  # seconds, the longest transaction of a batch
    drafts: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    accounts_released: int = 0

    def lines(self) -> list[str]:
        verb = "would" if self.dry_run else "did"
        out = [f"privacy purge ({'dry run' if self.dry_run else 'done'}):",
               f"  orders pseudonymised: {self.orders} ({verb})"]
        if not self.dry_run:
            out += [f"  texts masked: {self.texts}, timeline payloads rewritten: {self.events}",
                    f"  batches: {self.batches}, longest batch: {self.longest_batch * 1000:.0f} ms"]
        out += [f"  evidence files deleted: {self.evidence_files}",
                f"  drafts deleted: {self.drafts}"]
        out += [f"  {name.replace('_', ' ')} deleted: {n}" for name, n in self.codes.items()]
        out.append(f"  closed accounts' phones released: {self.accounts_released}")
        return out


def due_orders(*, now: dt.datetime | None = None, retention_days: int | None = None) -> models.QuerySet[Complaint]:
    """Closed orders whose outcome is more than ``retention_days`` old and that are not yet
    pseudonymised (the partial index ``cmp_retention_due`` serves this)."""
    now = now or clock.now()
    days = retention_days if retention_days is not None else get_policy().retention_days
    return (Complaint.objects.filter(pseudonymised_at__isnull=True, outcome_at__lt=now - dt.timedelta(days=days))
            .exclude(state__in=sorted(OPEN_STATES)))


def _changed(rows: list[Any], fields: tuple[str, ...], mask: Any = scrub) -> list[Any]:
    changed = []
    for row in rows:
        dirty = False
        for name in fields:
            before = getattr(row, name)
            after = mask(before)
            if after != before:
                setattr(row, name, after)
                dirty = True
        if dirty:
            changed.append(row)
    return changed


def _evidence_stub_name(item: Evidence) -> str:
    return f"evidence-{item.pk}.{'pdf' if item.kind == Evidence.Kind.PDF else 'image'}"


def _delete_evidence_files(order_ids: list[int]) -> int:
    """Delete the stored files of these orders' evidence not yet removed. Before the rows change:
    if the transaction after fails, the next run deletes nothing twice (a missing file is no error)."""
    storage = Evidence.file.field.storage
    names = [name for name in Evidence.objects.filter(complaint_id__in=order_ids, removed_at__isnull=True)
             .exclude(file="").values_list("file", flat=True)]
    for name in names:
        storage.delete(name)
    return len(names)


def _write(model: type[models.Model], rows: list[Any], fields: tuple[str, ...]) -> None:
    """``UPDATE <table> SET <fields> WHERE id = …`` for each row, one prepared statement run for
    all of them (``executemany``; psycopg pipelines it). Django's ``bulk_update`` builds a CASE per
    field and row in Python and took most of a batch's time."""
    if not rows:
        return
    meta = model._meta
    columns = [f for f in meta.concrete_fields if f.name in fields]
    quote = connection.ops.quote_name
    pk_column = meta.pk.column if meta.pk is not None else "id"
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(c.column)} = %s' for c in columns)} "  # noqa: S608
           f"WHERE {quote(pk_column)} = %s")
    params = [[c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def pseudonymise_orders(order_ids: list[int], *, now: dt.datetime, report: PurgeReport | None = None) -> int:
    """Pseudonymise these orders (call inside a transaction; they should be locked). Orders still
    open or already pseudonymised are skipped. Returns how many were pseudonymised."""
    report = report if report is not None else PurgeReport()
    orders = list(Complaint.objects.filter(pk__in=order_ids, pseudonymised_at__isnull=True)
                  .exclude(state__in=sorted(OPEN_STATES)).only("pk", *COMPLAINT_TEXT))
    if not orders:
        return 0
    ids = [o.pk for o in orders]
    changed = _changed(orders, COMPLAINT_TEXT)
    _write(Complaint, changed, COMPLAINT_TEXT)
    Complaint.objects.filter(pk__in=ids).update(pseudonymised_at=now)
    report.texts += len(changed)
    for model, fields in CHILD_TEXT:
        rows = _changed(list(model._default_manager.filter(complaint_id__in=ids).only("pk", *fields)), fields)
        _write(model, rows, fields)
        report.texts += len(rows)
    # The timeline is append-only for the application (its manager and save() refuse changes); this
    # purge is the one writer allowed to rewrite a payload, and only the payload.
    events = _changed(list(ComplaintEvent.objects.filter(complaint_id__in=ids).only("pk", "payload")),
                      ("payload",), scrub_data)
    _write(ComplaintEvent, events, ("payload",))
    report.events += len(events)
    stubs = list(Evidence.objects.filter(complaint_id__in=ids, removed_at__isnull=True).only("pk", "kind"))
    for item in stubs:
        item.file = ""
        item.original_name = _evidence_stub_name(item)
        item.removed_at = now
    _write(Evidence, stubs, ("file", "original_name", "removed_at"))
    report.orders += len(orders)
    return len(orders)


def _claim_batch(qs: models.QuerySet[Complaint], size: int) -> list[int]:
    return list(qs.order_by("outcome_at", "pk").select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:size])


def orders_purge(*, now: dt.datetime | None = None, retention_days: int | None = None, batch: int = BATCH,
                 report: PurgeReport | None = None) -> PurgeReport:
    """Pseudonymise every order due (``due_orders``), ``batch`` orders per transaction, walking the
    partial index in (outcome_at, id) order from where the last batch ended (a keyset, so a batch
    never rescans what earlier batches did, nor what another purge holds locked)."""
    now = now or clock.now()
    report = report if report is not None else PurgeReport()
    due = due_orders(now=now, retention_days=retention_days).order_by("outcome_at", "pk")
    after: tuple[dt.datetime | None, int] | None = None
    while True:
        todo = due if after is None else due.filter(
            Q(outcome_at__gt=after[0]) | Q(outcome_at=after[0], pk__gt=after[1]))
        page = list(todo.values_list("outcome_at", "pk")[:batch])
        if not page:
            break
        after = page[-1]
        candidates = [pk for _, pk in page]
        report.evidence_files += _delete_evidence_files(candidates)
        started = time.perf_counter()
        with transaction.atomic():
            claimed = _claim_batch(Complaint.objects.filter(pk__in=candidates), batch)
            pseudonymise_orders(claimed, now=now, report=report)
        report.longest_batch = max(report.longest_batch, time.perf_counter() - started)
        report.batches += 1
    return report


def privacy_purge(*, dry_run: bool = False, now: dt.datetime | None = None, batch: int = BATCH) -> PurgeReport:
    """Everything the retention policy says is due (the module's docstring). With ``dry_run`` it
    only counts what it would do."""
    now = now or clock.now()
    policy = get_policy()
    report = PurgeReport(dry_run=dry_run)
    code_cutoff = now - dt.timedelta(days=policy.code_keep_days)
    release_cutoff = now - dt.timedelta(days=policy.retention_days)
    if dry_run:
        due = due_orders(now=now, retention_days=policy.retention_days)
        report.orders = due.count()
        report.evidence_files = (Evidence.objects.filter(complaint__in=due, removed_at__isnull=True)
                                 .exclude(file="").count())
        report.drafts = ComplaintDraft.objects.filter(
            updated_at__lt=now - dt.timedelta(days=policy.draft_keep_days)).count()
        report.codes = account_services.codes_purge(older_than=code_cutoff, dry_run=True)
        report.accounts_released = account_services.closed_accounts_release(closed_before=release_cutoff,
                                                                             dry_run=True)
        return report
    orders_purge(now=now, retention_days=policy.retention_days, batch=batch, report=report)
    report.drafts = drafts_purge(older_than_days=policy.draft_keep_days, now=now)
    report.codes = account_services.codes_purge(older_than=code_cutoff)
    report.accounts_released = account_services.closed_accounts_release(closed_before=release_cutoff)
    log.info("privacy purge: %d order(s) pseudonymised in %d batch(es) (longest %.0f ms), %d evidence file(s), "
             "%d draft(s), codes %s, %d phone(s) released", report.orders, report.batches,
             report.longest_batch * 1000, report.evidence_files, report.drafts, report.codes,
             report.accounts_released)
    return report
