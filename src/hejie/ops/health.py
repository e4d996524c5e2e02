"""Readiness: can this process do its work? (``/readyz``; ``/healthz`` only says it runs.)

Each check returns a ``Check``; ``readiness()`` runs them all, in order, each on its own (one
failing does not skip the others):

- ``database``: a trivial query on each configured database (``database`` for the default one,
  ``database:<alias>`` for any other, such as a read replica);
- ``broker``: when ``CELERY_BROKER_URL`` is set, a connection to it (kombu, the client Celery
  itself uses), bounded by ``HEJIE_READYZ_TIMEOUT`` seconds ("not configured" without one);
- ``storage``: the default file storage (local disk, or S3 through django-storages) takes a tiny
  object, gives it back and deletes it, through the Django storage API only;
- ``calendar``: a warning only (the process stays ready) when the working-days calendar lacks
  the holidays of this year, or from 1 November of the coming one.

A failure is named by the check and the exception's class; the exception itself (which may
name hosts, paths or users) goes to the log, not to the anonymous caller.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections

logger = logging.getLogger("hejie.health")

PROBE_PREFIX = "_readyz"
PROBE_BODY = b"hejie readiness probe\n"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = "ok"  # "ok", or the class of the exception that failed it
    warning: bool = False  # passes, but someone should act (never makes the process unready)


def _run(name: str, fn: Callable[[], None]) -> Check:
    try:
        fn()
    except Exception as exc:
        logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc, exc_info=True)
        return Check(name, False, type(exc).__name__)
    return Check(name, True)


def _timeout() -> float:
    return float(getattr(settings, "HEJIE_READYZ_TIMEOUT", 2.0))


def check_databases() -> list[Check]:
    checks = []
    for alias in connections:
        conn = connections[alias]

        def query(conn=conn) -> None:
            try:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    if cursor.fetchone() != (1,):
                        raise RuntimeError("SELECT 1 did not answer 1")
            except Exception:
                conn.close_if_unusable_or_obsolete()  # the next request opens a fresh connection
                raise

        checks.append(_run("database" if alias == "default" else f"database:{alias}", query))
    return checks


def check_broker() -> Check:
    """Passes as "not configured" without a broker (the embedded default runs tasks in-process)."""
    url = getattr(settings, "CELERY_BROKER_URL", None)
    if not url:
        return Check("broker", True, "not configured")

    def connect() -> None:
        from kombu import Connection

        timeout = _timeout()
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
        with Connection(url, connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=math.ceil(timeout))

    return _run("broker", connect)


def check_storage() -> Check:
    def round_trip() -> None:
        name = default_storage.save(f"{PROBE_PREFIX}/probe-{uuid.uuid4().hex}.txt", ContentFile(PROBE_BODY))
        try:
            with default_storage.open(name, "rb") as f:
                if f.read() != PROBE_BODY:
                    raise OSError("the probe object read back differs from what was written")
        finally:
            default_storage.delete(name)

    return _run("storage", round_trip)


def check_calendar() -> Check:
    """A warning, never a failure: the holidays of this year (and, from 1 November, of the
    coming one) are not known to the working-days calendar (``hejie.workdays.calendar``), which
    then counts Monday to Friday until the operator enters them. Every process would fail alike,
    so failing readiness for it would only take the site down."""
    from hejie.workdays.calendar import missing_years

    try:
        missing = missing_years()
    except Exception as exc:
        logger.warning("readiness check calendar failed: %s: %s", type(exc).__name__, exc)
        return Check("calendar", True, type(exc).__name__, warning=True)
    if missing:
        return Check("calendar", True, "missing " + ", ".join(map(str, missing)), warning=True)
    return Check("calendar", True)


def run_checks() -> list[Check]:
    return [*check_databases(), check_broker(), check_storage(), check_calendar()]


_last: tuple[float, list[Check]] | None = None
_lock = threading.Lock()


def readiness() -> list[Check]:
    """The checks, run at most once per ``HEJIE_READYZ_MIN_INTERVAL`` seconds (1) in a process:
    within it, and while a run is under way, callers get the last result (the first ones wait for
    it). ``/readyz`` needs no sign-in, so this bounds what anyone can make it do (each run writes
    to the storage)."""
    global _last
    interval = float(getattr(settings, "HEJIE_READYZ_MIN_INTERVAL", 1.0))
    last = _last
    if last is not None and time.monotonic() - last[0] < interval:
        return last[1]
    if last is None:
        _lock.acquire()
    elif not _lock.acquire(blocking=False):
        return last[1]  # a run is under way
    try:
        last = _last
        if last is not None and time.monotonic() - last[0] < interval:
            return last[1]  # another caller ran them while this one waited
        checks = run_checks()
        _last = (time.monotonic(), checks)
        return checks
    finally:
        _lock.release()


def forget() -> None:
    """Drop the remembered result (the next call runs the checks)."""
    global _last
    with _lock:
        _last = None
