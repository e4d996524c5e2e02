from celery import shared_task

from hejie.ops.sweep import sweep


@shared_task(name="hejie.sweep")
def sweep_task() -> str:
    """One sweep pass (Celery beat sends it on the interval: ``CELERY_BEAT_SCHEDULE``).
    Idempotent, and safe to run from several workers at once (rows are claimed with SKIP LOCKED)."""
    return str(sweep())
