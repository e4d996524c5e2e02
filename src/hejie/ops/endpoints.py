"""The operations endpoints: ``/healthz``, ``/readyz`` and ``/metrics``, thin over
``hejie.ops.health`` and ``hejie.ops.metrics``.

``EndpointsMiddleware`` answers them before the rest of the middleware (just after the request id
and the request metrics), so a load balancer's or an orchestrator's probe and a Prometheus scrape
are never sent to sign in, redirected to HTTPS or to a language, refused for the ``Host`` they
use (a pod's address is not in ``ALLOWED_HOSTS``), given a session or a CSRF cookie. They are
also in ``hejie.urls`` (by name, for ``reverse``); no sitemap lists them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from hejie.ops import health
from hejie.ops import metrics as ops_metrics


@csrf_exempt
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and serving: 200 "ok", touching nothing else."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@csrf_exempt
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every check passes, 503 naming the ones that failed (``hejie.ops.health``); the
    warnings (the holiday calendar's) are named too and do not fail it."""
    checks = health.readiness()
    failed = [c.name for c in checks if not c.ok]
    body = {"status": "unavailable" if failed else "ok", "checks": {c.name: c.detail for c in checks},
            "failed": failed, "warnings": [c.name for c in checks if c.warning]}
    response = JsonResponse(body, status=503 if failed else 200, json_dumps_params={"ensure_ascii": False})
    # health.py logged each failure once as a warning; not one more error for every probe from Django
    # (which an error tracker would report each time)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@csrf_exempt
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition, to the allowed scrapers only (``hejie.ops.metrics.allowed``)."""
    status = ops_metrics.allowed(request)
    if status == 401:
        response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if status != 200:
        return HttpResponse("metrics are served to this machine only, or with the token\n", status=403,
                            content_type="text/plain")
    body, content_type = ops_metrics.render(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)


ENDPOINTS: dict[str, tuple[str, Callable[[HttpRequest], HttpResponse]]] = {
    "/healthz": ("healthz", healthz),
    "/readyz": ("readyz", readyz),
    "/metrics": ("metrics", metrics),
}


class EndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info)
        if endpoint is None:
            return self.get_response(request)
        name, view = endpoint
        request.metrics_view = name  # type: ignore[attr-defined]
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)
