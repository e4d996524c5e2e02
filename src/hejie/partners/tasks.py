from celery import shared_task

from hejie.partners.services import IMPORT_COMMIT_TASK, import_run


@shared_task(name=IMPORT_COMMIT_TASK, acks_late=True)
def import_commit_task(batch_id: int) -> None:
    """Commit a large import on a worker (the same code the embedded default runs in a thread)."""
    import_run(batch_id=batch_id)
