import datetime as dt

from celery import shared_task


@shared_task(name="hejie.webhooks.deliver", ignore_result=True)
def deliver_task(ids: list[int], claim: str) -> int:
    """Attempt deliveries on a worker. No Celery retries: a failed attempt is
    rescheduled on its row (the backoff) and the sweep's pass picks it up."""
    from hejie.webhooks.services import deliveries_attempt

    return deliveries_attempt(ids=ids, claim=dt.datetime.fromisoformat(claim))
