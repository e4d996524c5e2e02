import datetime as dt

import pytest

from tests.conftest import last_code

# A fixed, ordinary moment (2026-03-15 10:00 in Shanghai).
T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)
PHONE = "13800138000"


@pytest.fixture
def send_code(db, sms, django_capture_on_commit_callbacks):
    """Send a code through the real service and return it as read from the SMS."""
    from hejie.accounts import services

    def send(phone=PHONE, ip=None) -> str:
        before = len(sms)
        with django_capture_on_commit_callbacks(execute=True):
            services.otp_send(phone=phone, ip=ip)
        assert len(sms) == before + 1
        return last_code(sms)

    return send
