"""The complaints app's scheduled jobs (Celery beat sends them: ``CELERY_BEAT_SCHEDULE``)."""

import logging

from celery import shared_task

from hejie.complaints import figures
from hejie.complaints.drafts import drafts_purge
from hejie.complaints.retention import privacy_purge

logger = logging.getLogger("hejie.complaints")

DRAFTS_PURGE_TASK = "hejie.complaints.drafts_purge"
FIGURES_CHECK_TASK = "hejie.complaints.figures_check"
PRIVACY_PURGE_TASK = "hejie.complaints.privacy_purge"


@shared_task(name=PRIVACY_PURGE_TASK, acks_late=True)
def privacy_purge_task() -> dict:
    """The retention policy's daily purge (``complaints.retention.privacy_purge``, ``hejie
    privacy_purge``): closed orders past retention pseudonymised, old drafts, codes and throttle rows
    deleted. Safe twice: each batch commits on its own and a done order is marked, so a second run
    (or one after a worker died mid-way) finishes what is left or finds nothing."""
    report = privacy_purge()
    return {"orders": report.orders, "evidence_files": report.evidence_files, "drafts": report.drafts,
            "codes": report.codes, "accounts_released": report.accounts_released,
            "longest_batch_ms": round(report.longest_batch * 1000)}


@shared_task(name=DRAFTS_PURGE_TASK, acks_late=True)
def drafts_purge_task() -> int:
    """Delete drafts untouched for the policy's ``draft_keep_days``, with their files (``hejie
    drafts_purge``; beat no longer sends it: ``privacy_purge`` does this too). Safe twice: it
    deletes by age, and a second run finds nothing older left."""
    deleted = drafts_purge()
    logger.info("drafts purge: deleted %d draft(s)", deleted)
    return deleted


@shared_task(name=FIGURES_CHECK_TASK, acks_late=True)
def figures_check_task() -> int:
    """Compare the daily figures with a recount of the orders (``hejie figures check``) and log
    what differs as an error; it only reads, so running it twice is harmless. Returns how many
    differences it listed (at most 20)."""
    found = figures.differences()
    for line in found:
        logger.error("daily figures differ from the orders: %s", line)
    if not found:
        logger.info("daily figures match the orders")
    return len(found)
