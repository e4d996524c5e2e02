from celery import shared_task


@shared_task(name="hejie.sweep")
def sweep_task() -> str:
    """One sweep pass (Celery beat calls it on the interval). Idempotent, and
    safe to run from several workers at once (rows are claimed with SKIP LOCKED)."""
    from hejie.complaints.sweep import sweep

    return str(sweep())
