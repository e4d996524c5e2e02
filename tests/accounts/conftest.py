import datetime as dt
import re

import pytest

from hejie.notifications.backends import MemoryBackend

# A fixed, ordinary moment (2026-03-15 10:00 in Shanghai).
T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)
PHONE = "13800138000"


@pytest.fixture
def sms(settings):
    """SMS goes to MemoryBackend.outbox; returns the outbox, emptied."""
    backends = dict(settings.HEJIE_NOTIFICATION_BACKENDS)
    backends["sms"] = "hejie.notifications.backends.MemoryBackend"
    settings.HEJIE_NOTIFICATION_BACKENDS = backends
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


@pytest.fixture
def send_code(db, sms, django_capture_on_commit_callbacks):
    """Send a code through the real service and return it as read from the SMS."""
    from hejie.accounts import services

    def send(phone=PHONE, ip=None) -> str:
        before = len(sms)
        with django_capture_on_commit_callbacks(execute=True):
            services.otp_send(phone=phone, ip=ip)
        assert len(sms) == before + 1
        match = re.search(r"\b(\d{6})\b", sms[-1].body)
        assert match, sms[-1].body
        return match.group(1)

    return send
