from celery import shared_task

from hejie.ops.sweep import sweep


@shared_task(name="hejie.sweep", acks_late=True)
def sweep_task() -> str:
    """One sweep pass (Celery beat sends it on the interval: ``CELERY_BEAT_SCHEDULE``); its report
    says "skipped" when another pass still holds the sweep's lease. Idempotent (what it did is
    no longer due), and safe from several workers at once (the lease; and rows claimed with SKIP
    LOCKED)."""
    return str(sweep())
