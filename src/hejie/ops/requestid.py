"""The request id: one id per request, on every log line of it, on the response, and in the
Celery tasks the request sends, so the worker's lines of such a task carry it too.

- ``RequestIdMiddleware`` takes the caller's ``X-Request-ID`` when it is a plausible id (1 to
  ``MAX_LENGTH`` characters of letters, digits and ``-_.:/+=@``; a proxy or a load balancer in
  front usually sets one) and makes one (32 hex digits) otherwise; it sets it for the duration
  of the request (a ``contextvars.ContextVar``) and answers with it in ``X-Request-ID``.
- ``RequestIdFilter`` (on the log handlers, ``LOGGING`` in the settings) puts it on every log
  record as ``request_id`` ("-" outside a request or a task).
- Celery: ``before_task_publish`` writes it into the message's headers (``hejie_request_id``)
  and ``task_prerun`` / ``task_postrun`` set and clear it around the task on the worker, so a
  task that sends another passes it on. ``connect_celery()`` is called by ``OpsConfig.ready()``,
  which runs in the web processes and in the workers alike.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from hejie.core import context
from hejie.core.http import client_ip

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
TASK_HEADER = "hejie_request_id"
MAX_LENGTH = 128
_VALID = re.compile(rf"[A-Za-z0-9\-_.:/+=@]{{1,{MAX_LENGTH}}}")

_current = context.request_id  # in core: the audit trail (below ops) records it too


def current() -> str | None:
    """The id of the request (or task) being handled, or None."""
    return _current.get()


def valid(value: object) -> bool:
    return isinstance(value, str) and _VALID.fullmatch(value) is not None


def new() -> str:
    return uuid.uuid4().hex


def bind(value: str | None) -> contextvars.Token[str | None]:
    """Make ``value`` the current id; pass the returned token to ``reset``."""
    return _current.set(value)


def reset(token: contextvars.Token[str | None]) -> None:
    _current.reset(token)


class RequestIdMiddleware:
    """First in ``MIDDLEWARE``: everything after it, and its log lines, see the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get(META_KEY, "")
        rid = incoming if valid(incoming) else new()
        request.request_id = rid  # type: ignore[attr-defined]
        token = bind(rid)
        ip_token = context.client_ip.set(client_ip(request))
        try:
            _tag_sentry(rid)
            response = self.get_response(request)
        finally:
            context.client_ip.reset(ip_token)
            reset(token)
        response[HEADER] = rid
        return response


def _tag_sentry(rid: str) -> None:
    """The id on the error reports too, when Sentry is on (``hejie.ops.sentry`` imported the SDK:
    nothing is imported here, per request)."""
    sdk: Any = sys.modules.get("sentry_sdk")
    if sdk is not None and sdk.is_initialized():
        sdk.get_isolation_scope().set_tag("request_id", rid)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (the current id, or "-"); lets every record through.

    Django logs a 4xx or 5xx answer (``django.request``) after the middleware has returned, out of
    the request's context: such a record carries the request, and the id is read from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            rid = current() or getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = rid if isinstance(rid, str) else "-"
        return True


# Celery: the id travels in the task message's headers.

def _before_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = current()
    if rid and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = rid


_task_tokens: dict[str, contextvars.Token[str | None]] = {}


def _prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    rid = getattr(request, TASK_HEADER, None)
    if rid is None and isinstance(getattr(request, "headers", None), dict):
        rid = request.headers.get(TASK_HEADER)  # type: ignore[union-attr]
    if task_id and valid(rid):
        _task_tokens[task_id] = bind(rid)


def _postrun(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        try:
            reset(token)
        except ValueError:  # set in another context (a pool that moved the task): just clear it
            bind(None)


def connect_celery() -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_publish, weak=False, dispatch_uid="hejie.requestid.publish")
    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="hejie.requestid.prerun")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="hejie.requestid.postrun")
