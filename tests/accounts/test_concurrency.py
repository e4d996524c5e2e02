"""Races that only real row locks can settle: PostgreSQL only (SQLite serialises every writer anyway)."""

import re
import threading

import pytest
from django.db import close_old_connections, connection

from hejie.accounts import services
from hejie.accounts.models import CodeFailure, OneTimeCode, User
from hejie.core.errors import DomainError

from .conftest import PHONE

pytestmark = [
    pytest.mark.pg_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def race(fn, n=2):
    """Run ``fn`` in ``n`` threads released at once; return what each returned or raised."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_sends_to_one_number_give_one_code(reference_data, sms):
    results = race(lambda: services.otp_send(phone=PHONE), n=4)
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, DomainError) and e.code == "rate_limited" for e in errors), errors
    assert len(errors) == 3
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 1


def test_one_code_signs_in_once_under_a_race(reference_data, sms):
    services.otp_send(phone=PHONE)  # transactional_db: on_commit runs at once
    code = re.search(r"\b(\d{6})\b", sms[-1].body).group(1)
    results = race(lambda: services.otp_verify(phone=PHONE, code=code), n=3)
    users = [r for r in results if isinstance(r, User)]
    assert len(users) == 1, results
    assert User.objects.filter(phone=PHONE).count() == 1


def test_concurrent_wrong_tries_get_five_checks_and_no_more(reference_data, sms):
    services.otp_send(phone=PHONE)
    code = re.search(r"\b(\d{6})\b", sms[-1].body).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    results = race(lambda: services.otp_verify(phone=PHONE, code=wrong, ip="203.0.113.66"), n=8)
    assert sorted(r.code for r in results) == ["code_throttled"] * 4 + ["code_wrong"] * 4, results
    assert OneTimeCode.objects.get().attempts == 5 and CodeFailure.objects.count() == 5
    with pytest.raises(DomainError) as exc:
        services.otp_verify(phone=PHONE, code=code, ip="203.0.113.66")
    assert exc.value.code == "code_throttled"
    assert services.otp_verify(phone=PHONE, code=code, ip="198.51.100.1").phone == PHONE  # the owner, elsewhere
