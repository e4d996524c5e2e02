"""The complaints app's scheduled jobs (Celery beat sends them: ``CELERY_BEAT_SCHEDULE``)."""

import logging

from celery import shared_task

from hejie.complaints import figures
from hejie.complaints.drafts import drafts_purge

logger = logging.getLogger("hejie.complaints")

DRAFTS_PURGE_TASK = "hejie.complaints.drafts_purge"
FIGURES_CHECK_TASK = "hejie.complaints.figures_check"


@shared_task(name=DRAFTS_PURGE_TASK, acks_late=True)
def drafts_purge_task() -> int:
    """Delete drafts untouched for 30 days, with their files (``hejie drafts_purge``). Safe twice:
    it deletes by age, and a second run finds nothing older left."""
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
