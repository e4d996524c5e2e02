from celery import shared_task


@shared_task(name="hejie.partners.import_commit", acks_late=True)
def import_commit_task(batch_id: int) -> None:
    """Commit a large import on a worker (the same code the embedded default runs in a thread)."""
    from hejie.partners.services import import_run

    import_run(batch_id=batch_id)
