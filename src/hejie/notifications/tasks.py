from typing import Any

from celery import shared_task

from hejie.notifications.backends import OutboundMessage
from hejie.notifications.services import DELIVER_TASK, deliver_now


@shared_task(name=DELIVER_TASK, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_task(messages: list[dict[str, Any]]) -> int:
    """Hand messages to their channel backends on a worker."""
    deliver_now([OutboundMessage(**m) for m in messages])
    return len(messages)
