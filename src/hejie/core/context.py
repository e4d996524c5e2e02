"""What the request (or task) being handled is, for the layers that record it but never see the
request: its id (``hejie.ops.requestid`` sets it, the log lines carry it) and the client's address
(set by the same middleware, ``hejie.core.http.client_ip``). The audit trail reads both."""

from __future__ import annotations

import contextvars

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("hejie_request_id", default=None)
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("hejie_client_ip", default=None)
