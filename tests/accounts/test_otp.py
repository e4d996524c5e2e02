import datetime as dt
import hashlib

import pytest
import time_machine
from django.utils import translation
from django.utils.crypto import salted_hmac

from hejie.accounts import services
from hejie.accounts.models import OneTimeCode, User
from hejie.core.errors import InvalidInput, NotAllowed, RateLimited

from .conftest import PHONE, T0


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


# --- sending ------------------------------------------------------------------


def test_send_stores_only_a_keyed_hash_and_texts_the_code(send_code, sms):
    with time_machine.travel(T0, tick=False):
        code = send_code(ip="203.0.113.7")
    otp = OneTimeCode.objects.get()
    assert len(code) == 6 and code.isdigit()
    assert sms[-1].channel == "sms" and sms[-1].to == PHONE
    # The hash, not the code: HMAC-SHA256 keyed by SECRET_KEY over phone and code.
    assert code not in otp.code_hash
    assert otp.code_hash == salted_hmac("hejie.accounts.otp", f"{PHONE}:{code}", algorithm="sha256").hexdigest()
    assert otp.code_hash != hashlib.sha256(f"{PHONE}:{code}".encode()).hexdigest()  # keyed, not a bare digest
    assert (otp.phone, otp.ip, otp.attempts, otp.used_at) == (PHONE, "203.0.113.7", 0, None)
    assert otp.created_at == T0
    assert otp.expires_at == T0 + dt.timedelta(minutes=5)


def test_sms_goes_out_only_after_commit(db, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.otp_send(phone=PHONE)
    assert sms == []  # nothing sent while the transaction is open
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(sms) == 1 and sms[0].to == PHONE


def test_phone_is_normalised(send_code, sms):
    code = send_code(phone="+86 138-0013-8000")
    assert sms[-1].to == PHONE
    assert OneTimeCode.objects.get().phone == PHONE
    assert services.otp_verify(phone="0086 13800138000", code=code).phone == PHONE


def test_bad_phone_is_refused(db, sms):
    with pytest.raises(InvalidInput) as exc:
        services.otp_send(phone="12345")
    assert exc.value.fields == {"phone": exc.value.message}
    assert not OneTimeCode.objects.exists()


def test_staff_number_gets_no_code(db, sms, make_user, business):
    make_user("business", business=business, phone="13900139000")
    with pytest.raises(NotAllowed, match="工作人员账号"):
        services.otp_send(phone="13900139000")
    assert not OneTimeCode.objects.exists()
    assert sms == []


# --- verifying ----------------------------------------------------------------


def test_first_sign_in_creates_the_consumer_and_spends_the_code(send_code):
    code = send_code()
    user = services.otp_verify(phone=PHONE, code=code)
    assert (user.username, user.role, user.phone) == (f"c{PHONE}", User.Role.CONSUMER, PHONE)
    assert not user.has_usable_password()
    assert OneTimeCode.objects.get().used_at is not None
    with pytest.raises(InvalidInput) as exc:  # a code works once
        services.otp_verify(phone=PHONE, code=code)
    assert exc.value.code == "code_missing"


def test_later_sign_in_returns_the_same_consumer(send_code, consumer):
    with time_machine.travel(T0, tick=False) as traveller:
        code = send_code(phone=consumer.phone)
        assert services.otp_verify(phone=consumer.phone, code=code) == consumer
        traveller.shift(_seconds(60))
        code = send_code(phone=consumer.phone)
        assert services.otp_verify(phone=consumer.phone, code=code) == consumer
    assert User.objects.filter(phone=consumer.phone).count() == 1


def test_code_still_valid_at_4_59(send_code):
    with time_machine.travel(T0, tick=False) as traveller:
        code = send_code()
        traveller.shift(dt.timedelta(minutes=4, seconds=59))
        assert services.otp_verify(phone=PHONE, code=code).phone == PHONE


def test_code_valid_at_exactly_5_00(send_code):
    with time_machine.travel(T0, tick=False) as traveller:
        code = send_code()
        traveller.move_to(T0 + dt.timedelta(minutes=5))
        assert services.otp_verify(phone=PHONE, code=code).phone == PHONE


def test_code_dead_one_second_after_5_00_with_its_own_message(send_code):
    with time_machine.travel(T0, tick=False) as traveller:
        code = send_code()
        traveller.move_to(T0 + dt.timedelta(minutes=5, seconds=1))
        with pytest.raises(InvalidInput) as exc:
            services.otp_verify(phone=PHONE, code=code)
    assert exc.value.code == "code_expired"
    assert "过期" in exc.value.message
    assert exc.value.fields == {"code": exc.value.message}
    otp = OneTimeCode.objects.get()
    assert otp.used_at is None and otp.attempts == 0
    assert not User.objects.filter(phone=PHONE).exists()


def test_each_wrong_try_counts_and_the_fifth_cools_that_address_off_not_the_code(send_code):
    code = send_code()
    messages = []
    for n in range(1, 5):
        with pytest.raises(InvalidInput) as exc:
            services.otp_verify(phone=PHONE, code=_wrong(code), ip="203.0.113.66")
        assert exc.value.code == "code_wrong"
        messages.append(exc.value.message)
        # The count is committed although the service raised.
        assert OneTimeCode.objects.get().attempts == n
    assert "4" in messages[0] and "1" in messages[3]  # tries left
    with pytest.raises(RateLimited) as exc:
        services.otp_verify(phone=PHONE, code=_wrong(code), ip="203.0.113.66")
    assert exc.value.code == "code_throttled" and exc.value.retry_after == 300
    assert OneTimeCode.objects.get().attempts == 5
    # Cooling off: even the right code from there fails now, and does not count further.
    with pytest.raises(RateLimited):
        services.otp_verify(phone=PHONE, code=code, ip="203.0.113.66")
    assert OneTimeCode.objects.get().attempts == 5
    assert not User.objects.filter(phone=PHONE).exists()
    # The code is alive for its owner, elsewhere.
    assert services.otp_verify(phone=PHONE, code=code, ip="198.51.100.1").phone == PHONE


def test_thirty_wrong_tries_from_everyone_kill_the_code(send_code):
    code = send_code()
    for n in range(30):
        with pytest.raises(InvalidInput):
            services.otp_verify(phone=PHONE, code=_wrong(code), ip=f"203.0.113.{n}")
    with pytest.raises(InvalidInput) as exc:
        services.otp_verify(phone=PHONE, code=code, ip="198.51.100.1")
    assert exc.value.code == "code_locked" and OneTimeCode.objects.get().attempts == 30


def test_right_code_after_four_wrong_tries_still_works(send_code):
    code = send_code()
    for _ in range(4):
        with pytest.raises(InvalidInput):
            services.otp_verify(phone=PHONE, code=_wrong(code))
    assert services.otp_verify(phone=PHONE, code=code).phone == PHONE


def test_malformed_code_is_refused_without_spending_a_try(send_code):
    code = send_code()
    for bad in ["", "12345", "1234567", "abcdef"]:
        with pytest.raises(InvalidInput) as exc:
            services.otp_verify(phone=PHONE, code=bad)
        assert exc.value.fields.keys() == {"code"}
    assert OneTimeCode.objects.get().attempts == 0
    assert services.otp_verify(phone=PHONE, code=f" {code} ").phone == PHONE


def test_no_code_sent_is_refused(db):
    with pytest.raises(InvalidInput) as exc:
        services.otp_verify(phone=PHONE, code="123456")
    assert exc.value.code == "code_missing"


def test_a_code_for_another_number_does_not_work(send_code):
    code = send_code(phone=PHONE)
    with pytest.raises(InvalidInput) as exc:
        services.otp_verify(phone="13900139000", code=code)
    assert exc.value.code == "code_missing"


def test_only_the_latest_code_counts_and_success_spends_all(send_code):
    with time_machine.travel(T0, tick=False) as traveller:
        first = send_code()
        traveller.shift(_seconds(60))
        second = send_code()
        if first != second:
            with pytest.raises(InvalidInput) as exc:
                services.otp_verify(phone=PHONE, code=first)
            assert exc.value.code == "code_wrong"
        services.otp_verify(phone=PHONE, code=second)
        assert not OneTimeCode.objects.filter(used_at__isnull=True).exists()
        with pytest.raises(InvalidInput) as exc:
            services.otp_verify(phone=PHONE, code=first)
        assert exc.value.code == "code_missing"


def test_staff_number_never_signs_in_as_consumer(db, make_user, business):
    """A code that reached a staff number (e.g. sent before the number was given to staff) is refused."""
    staff = make_user("business", business=business, phone="13900139000")
    now = T0
    with time_machine.travel(now, tick=False):
        OneTimeCode.objects.create(
            phone=staff.phone,
            code_hash=services._otp_hash(staff.phone, "246810"),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=5),
        )
        with pytest.raises(NotAllowed, match="工作人员账号"):
            services.otp_verify(phone=staff.phone, code="246810")
    staff.refresh_from_db()
    assert staff.role == User.Role.BUSINESS
    assert User.objects.filter(phone=staff.phone).count() == 1


def test_disabled_consumer_is_refused(send_code, consumer):
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])
    code = send_code(phone=consumer.phone)
    with pytest.raises(NotAllowed, match="账号已停用"):
        services.otp_verify(phone=consumer.phone, code=code)


def test_code_hashed_under_a_retired_key_still_verifies(send_code, settings):
    code = send_code()
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old]
    assert services.otp_verify(phone=PHONE, code=code).phone == PHONE


# --- rate limits --------------------------------------------------------------


def test_second_code_refused_at_59_s_allowed_at_60_s(send_code, sms):
    with time_machine.travel(T0, tick=False) as traveller:
        send_code()
        traveller.shift(_seconds(59))
        with pytest.raises(RateLimited) as exc:
            services.otp_send(phone=PHONE)
        assert exc.value.retry_after == 1
        assert exc.value.status == 429
        assert "每个手机号60秒内最多1条" in exc.value.message
        with translation.override("en"), pytest.raises(RateLimited) as exc:
            services.otp_send(phone=PHONE)
        assert "at most 1 per 60 seconds" in exc.value.message
        assert OneTimeCode.objects.count() == 1 and len(sms) == 1
        traveller.shift(_seconds(1))
        send_code()
    assert OneTimeCode.objects.count() == 2


def test_retry_after_counts_down(send_code):
    with time_machine.travel(T0, tick=False) as traveller:
        send_code()
        traveller.shift(_seconds(12.5))
        with pytest.raises(RateLimited) as exc:
            services.otp_send(phone=PHONE)
    assert exc.value.retry_after == 48  # 47.5 s rounded up


def test_sixth_code_in_an_hour_refused_until_the_first_leaves_the_window(send_code):
    with time_machine.travel(T0, tick=False) as traveller:
        for i in range(5):
            traveller.move_to(T0 + _seconds(60 * i))
            send_code()
        traveller.move_to(T0 + _seconds(300))
        with pytest.raises(RateLimited) as exc:
            services.otp_send(phone=PHONE)
        assert exc.value.retry_after == 3300
        assert "1小时内" in exc.value.message
        traveller.move_to(T0 + _seconds(3599))
        with pytest.raises(RateLimited) as exc:
            services.otp_send(phone=PHONE)
        assert exc.value.retry_after == 1
        traveller.move_to(T0 + _seconds(3600))
        send_code()
    assert OneTimeCode.objects.count() == 6


def test_per_phone_limit_does_not_touch_other_numbers(send_code):
    with time_machine.travel(T0, tick=False):
        send_code(phone=PHONE)
        send_code(phone="13900139000")  # same second, other number
    assert OneTimeCode.objects.count() == 2


def test_per_ip_limit_twenty_an_hour(send_code, sms):
    ip = "198.51.100.20"
    with time_machine.travel(T0, tick=False) as traveller:
        for i in range(20):
            traveller.move_to(T0 + _seconds(i))
            send_code(phone=f"1370000{i:04d}", ip=ip)
        traveller.move_to(T0 + _seconds(600))
        with pytest.raises(RateLimited) as exc:
            services.otp_send(phone="13900000000", ip=ip)
        assert exc.value.retry_after == 3000
        assert "此网络" in exc.value.message
        assert len(sms) == 20
        # Another address, or no address, is not held back by this one.
        send_code(phone="13900000000", ip="198.51.100.21")
        send_code(phone="13900000001")
        # The window slides: at T0 + 1 h the first code has left it.
        traveller.move_to(T0 + _seconds(3600))
        send_code(phone="13900000002", ip=ip)


def test_ip_is_validated(db):
    with pytest.raises(InvalidInput) as exc:
        services.otp_send(phone=PHONE, ip="not-an-ip")
    assert exc.value.fields.keys() == {"ip"}
    assert not OneTimeCode.objects.exists()


def test_secret_key_is_used(send_code, settings):
    """Same phone and code under a different key give a different hash (so a leaked table alone is not enough)."""
    code = send_code()
    stored = OneTimeCode.objects.get().code_hash
    assert services._otp_hash(PHONE, code) == stored
    assert services._otp_hash(PHONE, code, settings.SECRET_KEY + "x") != stored
