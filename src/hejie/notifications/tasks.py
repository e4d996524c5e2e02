from celery import shared_task

from hejie.notifications.services import DELIVER_TASK, deliver


@shared_task(name=DELIVER_TASK, acks_late=True)
def deliver_task(ids: list[int]) -> int:
    """Send the deliveries ``ids`` on a worker. Each row is claimed before it is sent, so a task
    delivered twice (a retry, a restarted worker) sends nothing twice; failures are retried by
    the rows' own backoff (``deliver_due``), not by re-running the task."""
    deliver(ids)
    return len(ids)
