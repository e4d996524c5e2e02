"""Error reports to Sentry (or a server that speaks its protocol, such as GlitchTip), only when
``HEJIE_SENTRY_DSN`` is set; ``pip install 'hejie[sentry]'`` brings the SDK.

Started by ``OpsConfig.ready()``, so in the web processes and in the Celery workers alike (the
Django and Celery integrations). Personal data stays home: no cookies, users or client
addresses (``send_default_pii=False``), no request bodies (a complaint's text and phone numbers
are in them), no local variables of the stack frames. Each event carries the request id as the
tag ``request_id`` (``hejie.ops.requestid``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def options() -> dict[str, object]:
    """The SDK's options from the settings (``HEJIE_SENTRY_*``)."""
    return {
        "dsn": settings.HEJIE_SENTRY_DSN,
        "environment": settings.HEJIE_SENTRY_ENVIRONMENT or None,
        "release": settings.HEJIE_SENTRY_RELEASE or None,
        "traces_sample_rate": settings.HEJIE_SENTRY_TRACES_SAMPLE_RATE,
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
    }


def init() -> bool:
    """Start the SDK when a DSN is configured; return whether it was started."""
    if not getattr(settings, "HEJIE_SENTRY_DSN", ""):
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError as exc:
        raise ImproperlyConfigured(
            "HEJIE_SENTRY_DSN is set but the Sentry SDK is not installed: pip install 'hejie[sentry]'") from exc
    sentry_sdk.init(integrations=[DjangoIntegration(), CeleryIntegration()], **options())  # type: ignore[arg-type]
    return True
