"""Codes that prove a phone number for another purpose than signing in (joining: the contact
phone), sharing the sign-in codes' machinery: limits, tries, expiry; a code serves only its purpose."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from hejie.accounts import services
from hejie.accounts.models import OneTimeCode, User
from hejie.businesses import services as businesses
from hejie.businesses.models import Business
from hejie.core.errors import InvalidInput, RateLimited
from tests.conftest import make_credit_code

from .conftest import PHONE, T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_join_code(sms, django_capture_on_commit_callbacks):
    """Send a joining code through the real service; return it as read from the SMS."""

    def send(phone=PHONE, ip=None) -> str:
        before = len(sms)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.phone_code_send(phone=phone, ip=ip) == phone
        assert len(sms) == before + 1 and sms[-1].to == phone and "入驻" in sms[-1].title
        return re.search(r"\b(\d{6})\b", sms[-1].body).group(1)

    return send


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def join_data(**extra):
    data = dict(
        applicant=None, username="laowang", password="re-gan-mian-2026", name="老王热干面",
        credit_code=make_credit_code(), industry="catering", region_code="420102", address="江岸区中山大道1号",
        contact_name="王师傅", contact_phone=PHONE, contact_email="", stores=[], accept_rules=True,
    )
    data.update(extra)
    return data


# --- purposes -----------------------------------------------------------------


def test_a_join_code_cannot_sign_in(send_join_code):
    code = send_join_code()
    assert OneTimeCode.objects.get().purpose == "join"
    with pytest.raises(InvalidInput) as exc:
        services.otp_verify(phone=PHONE, code=code)
    assert exc.value.code == "code_missing" and not User.objects.filter(phone=PHONE).exists()
    services.phone_code_check(phone=PHONE, code=code)  # still good for joining
    assert OneTimeCode.objects.get().used_at is not None


def test_a_sign_in_code_cannot_join(send_code):
    code = send_code()
    assert OneTimeCode.objects.get().purpose == "signin"
    with pytest.raises(InvalidInput) as exc:
        businesses.business_join(**join_data(phone_code=code))
    assert exc.value.code == "code_missing" and set(exc.value.fields) == {"phone_code"}
    assert "请先获取验证码" in exc.value.fields["phone_code"]
    assert not Business.objects.exists()
    assert services.otp_verify(phone=PHONE, code=code).phone == PHONE  # still good for signing in


def test_a_staff_number_gets_a_join_code(send_join_code, make_user):
    make_user("council", phone=PHONE, region="420100")
    assert len(send_join_code()) == 6


def test_bad_numbers_and_purposes(sms):
    with pytest.raises(InvalidInput) as exc:
        services.phone_code_send(phone="12345")
    assert "phone" in exc.value.fields
    with pytest.raises(ValueError):
        services.phone_code_send(phone=PHONE, purpose="signin")  # sign-in codes are otp_send's
    assert not OneTimeCode.objects.exists() and not sms


# --- limits, shared with sign-in codes ------------------------------------------


def test_one_code_a_minute_counting_sign_in_codes_too(send_code, send_join_code):
    with time_machine.travel(T0, tick=False) as traveller:
        send_code()
        traveller.shift(dt.timedelta(seconds=59))
        with pytest.raises(RateLimited) as exc:
            services.phone_code_send(phone=PHONE)
        assert exc.value.retry_after == 1 and exc.value.status == 429
        traveller.shift(dt.timedelta(seconds=1))
        send_join_code()
        for _ in range(3):
            traveller.shift(dt.timedelta(minutes=1))
            send_join_code()
        traveller.shift(dt.timedelta(minutes=1))
        with pytest.raises(RateLimited) as exc:  # five an hour
            services.phone_code_send(phone=PHONE)
        assert "小时" in exc.value.message


def test_twenty_an_hour_from_one_address(send_join_code):
    with time_machine.travel(T0, tick=False):
        for i in range(20):
            send_join_code(phone=f"1390000{i:04d}", ip="203.0.113.9")
        with pytest.raises(RateLimited):
            services.phone_code_send(phone="13700000000", ip="203.0.113.9")


# --- checking -------------------------------------------------------------------


def test_five_wrong_tries_cool_the_address_off_and_the_count_survives_the_joins_rollback(send_join_code):
    code = send_join_code()
    for n in range(1, 6):
        with pytest.raises((InvalidInput, RateLimited)) as exc:
            businesses.business_join(**join_data(phone_code=_wrong(code)), ip="203.0.113.66")
        assert set(exc.value.fields) == {"phone_code"}
        assert OneTimeCode.objects.get().attempts == n  # counted, though nothing of the join was written
        message = exc.value.message
        assert ("验证码错误，还可尝试" in message) if n < 5 else "请5分钟后再试" in message
    with pytest.raises(RateLimited) as exc:
        businesses.business_join(**join_data(phone_code=code), ip="203.0.113.66")  # the right digits, too late
    assert exc.value.code == "code_throttled" and "错误次数过多" in exc.value.fields["phone_code"]
    assert not Business.objects.exists() and not User.objects.filter(role="business").exists()


def test_a_code_that_is_not_six_digits_counts_no_try(send_join_code):
    send_join_code()
    for bad in ("12345", "abcdef", "1234567"):
        with pytest.raises(InvalidInput) as exc:
            services.phone_code_check(phone=PHONE, code=bad)
        assert set(exc.value.fields) == {"phone_code"}
    assert OneTimeCode.objects.get().attempts == 0


def test_a_right_code_with_another_field_wrong_stays_usable(send_join_code, make_business, monkeypatch):
    code = send_join_code()
    # every other field wrong: reported together; the code is not looked at (a missing one would be)
    with pytest.raises(InvalidInput) as exc:
        businesses.business_join(**join_data(name="", phone_code=""))
    assert set(exc.value.fields) == {"name", "phone_code"}
    # the fields pass, the code is right, and the join still fails inside its transaction: rolled back
    from hejie.businesses import services as bs

    def boom(**kwargs):
        raise InvalidInput("x (x)", fields={"credit_code": "x (x)"})

    monkeypatch.setattr(bs, "business_apply", boom)
    with pytest.raises(InvalidInput):
        businesses.business_join(**join_data(phone_code=code))
    assert OneTimeCode.objects.get().used_at is None
    monkeypatch.undo()
    business, _ = businesses.business_join(**join_data(phone_code=code))
    assert business.contact_phone == PHONE and OneTimeCode.objects.get().used_at is not None
    with pytest.raises(InvalidInput) as exc:  # spent
        businesses.business_join(**join_data(phone_code=code, username="laowang2"))
    assert exc.value.code == "code_missing"


def test_the_code_is_checked_against_the_contact_phone(send_join_code):
    code = send_join_code(phone="13900139000")
    with pytest.raises(InvalidInput) as exc:
        businesses.business_join(**join_data(phone_code=code))  # contact phone is PHONE
    assert exc.value.code == "code_missing"
    with pytest.raises(InvalidInput) as exc:
        businesses.business_join(**join_data(contact_phone="010-12345678", phone_code=code))
    assert set(exc.value.fields) == {"contact_phone"}
    business, _ = businesses.business_join(**join_data(contact_phone="+86 139 0013 9000", phone_code=code))
    assert business.contact_phone == "13900139000"


def test_the_code_lives_exactly_five_minutes(send_join_code):
    with time_machine.travel(T0, tick=False) as traveller:
        code = send_join_code()
        traveller.move_to(T0 + dt.timedelta(minutes=5))
        services.phone_code_check(phone=PHONE, code=code)  # at 5:00 still good
        traveller.move_to(T0 + dt.timedelta(minutes=6))
        code = send_join_code()
        traveller.move_to(T0 + dt.timedelta(minutes=11, seconds=1))
        with pytest.raises(InvalidInput) as exc:
            services.phone_code_check(phone=PHONE, code=code)
    assert exc.value.code == "code_expired" and "过期" in exc.value.fields["phone_code"]
    assert OneTimeCode.objects.filter(used_at__isnull=True).get().attempts == 0


def test_no_code_sent(db):
    with pytest.raises(InvalidInput) as exc:
        services.phone_code_check(phone=PHONE, code="123456")
    assert exc.value.code == "code_missing" and "请先获取验证码" in exc.value.fields["phone_code"]
