"""The in-process sweep schedule that ``hejie serve`` runs: the embedded
default's stand-in for Celery beat (which, with a broker, sends the
``hejie.sweep`` task on the same interval: ``CELERY_BEAT_SCHEDULE`` in the
settings)."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connections

from hejie.ops.sweep import sweep

logger = logging.getLogger("hejie.serve")


def sweep_loop(stop: threading.Event, interval: float) -> None:
    """Call ``hejie.ops.sweep.sweep()`` now and then every ``interval``
    seconds until ``stop`` is set. A failing pass is logged and the loop goes
    on (the server keeps serving)."""
    while not stop.is_set():
        close_old_connections()
        try:
            report = sweep()
        except Exception:
            logger.exception("sweep pass failed")
        else:
            logger.info("sweep: %s", report)
        finally:
            connections.close_all()
        stop.wait(interval)


def start_sweeper(interval: float) -> tuple[threading.Thread, threading.Event]:
    """Run ``sweep_loop`` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=sweep_loop, args=(stop, interval), name="hejie-sweep", daemon=True)
    thread.start()
    return thread, stop
