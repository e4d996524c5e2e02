from celery import shared_task


@shared_task(name="hejie.notifications.deliver", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_task(messages: list[dict]) -> int:
    """Hand messages to their channel backends on a worker."""
    from hejie.notifications.backends import OutboundMessage
    from hejie.notifications.services import deliver_now

    deliver_now([OutboundMessage(**m) for m in messages])
    return len(messages)
