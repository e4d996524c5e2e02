"""Handing work to a Celery worker, by task name.

Services enqueue through ``enqueue(name, ...)`` and never import their app's
``tasks`` module: the tasks module imports the service it runs, so the
dependency goes one way (tasks -> services) and there is no cycle to hide in
a function-local import. The name is the contract between the two; the
service module defines it as a constant and the task is declared with it.

Without a broker (the embedded default) ``enqueue`` returns False and the
caller does the work in-process, exactly as it would on a worker.
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings


def enqueue(name: str, *args: object) -> bool:
    """Send task ``name`` with ``args`` to the Celery broker when one is
    configured (``CELERY_BROKER_URL``) and return True; return False, sending
    nothing, when none is. Raises what the broker client raises when the
    broker cannot take the message: the caller decides what to do then."""
    if not settings.CELERY_BROKER_URL:
        return False
    current_app.send_task(name, args=list(args))
    return True
