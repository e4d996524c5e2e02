import datetime as dt

from celery import shared_task

from hejie.webhooks.services import DELIVER_TASK, deliveries_attempt


@shared_task(name=DELIVER_TASK, ignore_result=True, acks_late=True)
def deliver_task(ids: list[int], claim: str) -> int:
    """Attempt deliveries on a worker. No Celery retries: a failed attempt is
    rescheduled on its row (the backoff) and the sweep's pass picks it up."""
    return deliveries_attempt(ids=ids, claim=dt.datetime.fromisoformat(claim))
