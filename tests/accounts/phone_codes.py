"""A joining code for tests that join (business_join, /join/, POST /businesses) without going
through the SMS: stored as phone_code_send stores it, with known digits."""

from __future__ import annotations

JOIN_CODE = "246813"


def issue_join_code(phone: str = "13912345678", code: str = JOIN_CODE) -> str:
    from hejie.accounts.models import OneTimeCode
    from hejie.accounts.services import OTP_TTL, _otp_hash
    from hejie.core import clock

    now = clock.now()
    OneTimeCode.objects.create(phone=phone, code_hash=_otp_hash(phone, code), purpose=OneTimeCode.Purpose.JOIN,
                               created_at=now, expires_at=now + OTP_TTL)
    return code
