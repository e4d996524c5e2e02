"""Hooks the SMS providers call: their delivery reports, at ``/hooks/sms/<provider>/<token>/``.

The token is the secret part of the URL configured at the provider (``HEJIE_SMS_REPORT_TOKEN``):
without one configured, or with another, the URL does not exist (404). A body that is not the
provider's documented report is refused with 400 and a plain reason; the rows are updated by
``notifications.services.delivery_reports`` and the answer is the one the provider expects.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hejie.notifications.channels.reports import PARSERS, REPLIES, MalformedReport, parse_reports
from hejie.notifications.services import delivery_reports

logger = logging.getLogger("hejie.notifications")


@csrf_exempt
def sms_report(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    expected = str(getattr(settings, "HEJIE_SMS_REPORT_TOKEN", "") or "")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()) or provider not in PARSERS:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        reports = parse_reports(provider, request.body)
    except MalformedReport as exc:
        logger.warning("malformed %s delivery report: %s", provider, exc)
        return HttpResponseBadRequest(f"malformed delivery report: {exc}", content_type="text/plain; charset=utf-8")
    updated = delivery_reports(provider=provider, reports=reports)
    logger.info("%s delivery report: %d reports, %d rows updated", provider, len(reports), updated)
    return JsonResponse(REPLIES[provider], json_dumps_params={"ensure_ascii": False})
