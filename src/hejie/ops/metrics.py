"""Prometheus metrics, with ``prometheus-client`` (no Django wrapper: see the README, "Metrics").

What is measured, and where:

- requests and their latency by view (the URL pattern's name), method and status:
  ``MetricsMiddleware``;
- Celery tasks run, by task name and outcome, and their duration: the ``task_prerun`` /
  ``task_postrun`` signals (``connect_celery()``, from ``OpsConfig.ready()``), in the worker;
- the sweep's duration and outcome (``timed_sweep``, around ``hejie.ops.sweep.sweep``) and, read
  from the database when scraped, the due backlog (orders whose deadline has passed, and how long
  the oldest has waited): ``BacklogCollector``;
- notification deliveries by channel and outcome: ``hejie.notifications.services`` counts them
  where it sends (``DELIVERIES`` there), since it sits below this layer.

``/metrics`` (``hejie.ops.endpoints``) serves them to the allowed scrapers only (``allowed``).

Several processes (gunicorn's workers, a Celery prefork pool): each keeps its own counters, so a
scrape would see one process's share. With ``PROMETHEUS_MULTIPROC_DIR`` set (to a directory
writable by them all, emptied before they start; the same directory for the web and the worker
processes on one machine) each process writes its values to files there and ``/metrics`` adds
them up (``prometheus_client.multiprocess``). ``clear_multiproc_dir`` and ``child_exit`` are the
hooks for a process manager (gunicorn's ``on_starting`` and ``child_exit``).
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, disable_created_metrics, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

logger = logging.getLogger("hejie.metrics")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
disable_created_metrics()  # no "_created" series beside each counter and histogram: half the lines, no use here
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("hejie_http_requests", "HTTP requests answered, by view, method and status code",
                   ["view", "method", "status"])
LATENCY = Histogram("hejie_http_request_duration_seconds", "Time to answer an HTTP request, by view and method",
                    ["view", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
TASKS = Counter("hejie_celery_tasks", "Celery tasks run, by task name and outcome (success, failure, retry, ...)",
                ["task", "outcome"])
TASK_DURATION = Histogram("hejie_celery_task_duration_seconds", "Time a Celery task ran, by task name", ["task"],
                          buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0))
SWEEP_DURATION = Histogram("hejie_sweep_duration_seconds", "Time one sweep pass took",
                           buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0))
SWEEPS = Counter("hejie_sweeps", "Sweep passes, by outcome: ok; errors (some steps failed and were logged, "
                 "the rest went on); failed (the pass raised)", ["outcome"])


# --- requests -------------------------------------------------------------------------------------

def view_label(request: HttpRequest) -> str:
    """The URL pattern's name (bounded: one per route, never the path itself)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    return getattr(request, "metrics_view", None) or "unmatched"


class MetricsMiddleware:
    """Counts and times every request; placed right after the request id, so it sees them all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        view = view_label(request)
        LATENCY.labels(view=view, method=method).observe(time.perf_counter() - started)
        REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
        return response


# --- Celery tasks ---------------------------------------------------------------------------------

_task_started: dict[str, float] = {}


def _task_prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


def _task_postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    name = getattr(task, "name", None) or "unknown"
    started = _task_started.pop(task_id or "", None)
    TASKS.labels(task=name, outcome=(state or "unknown").lower()).inc()
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.perf_counter() - started)


def connect_celery() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="hejie.metrics.prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="hejie.metrics.postrun")


# --- the sweep ------------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def timed_sweep(fn: F) -> F:
    """Times each pass of the sweep and counts it by outcome (its report's ``errors``)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "failed"
        try:
            report = fn(*args, **kwargs)
            outcome = "errors" if getattr(report, "errors", 0) else "ok"
            return report
        finally:
            SWEEP_DURATION.observe(time.perf_counter() - started)
            SWEEPS.labels(outcome=outcome).inc()

    return wrapper  # type: ignore[return-value]


class BacklogCollector(Collector):
    """Read at each scrape: the orders whose deadline has passed and the age of the oldest.
    Both stay near zero while the sweep keeps up; a growing backlog means it does not run or
    cannot keep up. One indexed query per scrape; when the database does not answer, the two are
    left out (and the rest is served) and ``hejie_metrics_database_up`` says 0."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from hejie.complaints.selectors import due_backlog
        from hejie.core import clock

        now = clock.now()
        try:
            count, oldest = due_backlog(now)
        except Exception as exc:
            logger.warning("metrics: the due backlog could not be read: %s: %s", type(exc).__name__, exc)
            yield GaugeMetricFamily("hejie_metrics_database_up", "Whether the scrape could read the database",
                                    value=0)
            return
        yield GaugeMetricFamily("hejie_metrics_database_up", "Whether the scrape could read the database", value=1)
        yield GaugeMetricFamily("hejie_sweep_due_backlog", "Orders whose deadline has passed, not yet swept",
                                value=count)
        yield GaugeMetricFamily("hejie_sweep_due_oldest_seconds",
                                "How long the oldest due order has waited past its deadline (0 when none)",
                                value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)


# --- exposition -----------------------------------------------------------------------------------

def multiproc_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def registry() -> CollectorRegistry:
    """What a scrape reads: this process's metrics, or every process's (multi-process mode), and
    the backlog read from the database."""
    if multiproc_dir():
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
    else:
        reg = CollectorRegistry()
        reg.register(_Forward(REGISTRY))
    reg.register(BacklogCollector())
    return reg


class _Forward(Collector):
    """The process's default registry (our metrics and the process/platform collectors) inside a
    scrape's own registry, so that the backlog is added per scrape without touching the default."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        return iter(self.source.collect())


def render(accept: str) -> tuple[bytes, str]:
    """The exposition in the format the scraper asked for (Prometheus text, or OpenMetrics)."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry()), content_type


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip()).is_loopback
    except ValueError:
        return False


_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def allowed(request: HttpRequest) -> int:
    """200 when the request may read the metrics; 401 (token expected) or 403 otherwise.

    With ``HEJIE_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>`` is let in, from
    anywhere. Without one, only a direct connection from this machine (a loopback address, with
    no proxy's forwarding header: a reverse proxy on this machine connects from the loopback too,
    but says whom it forwards)."""
    token: str = getattr(settings, "HEJIE_METRICS_TOKEN", "") or ""
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
        return 200 if ok else 401
    if _loopback(request.META.get("REMOTE_ADDR", "")) and not any(h in request.META for h in _FORWARDING_HEADERS):
        return 200
    return 403


# --- several processes ----------------------------------------------------------------------------

def prepare_multiproc_dir() -> None:
    """Create ``PROMETHEUS_MULTIPROC_DIR`` when it is set and missing (called from the settings,
    before any metric is made)."""
    path = multiproc_dir()
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)


def clear_multiproc_dir(server: object = None) -> None:
    """Empty ``PROMETHEUS_MULTIPROC_DIR`` before the processes that share it start, so counts of an
    earlier run are not added in (usable as gunicorn's ``on_starting`` hook, whose argument it
    ignores, when gunicorn's workers are the only processes writing there)."""
    path = multiproc_dir()
    if not path:
        return
    for entry in Path(path).iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook: a dead worker's live values are dropped (its counters stay)."""
    if multiproc_dir():
        multiprocess.mark_process_dead(worker.pid)
