"""The guess limit on passwords (hejie.accounts.throttle, applied by hejie.accounts.services): 5 wrong
passwords per (username, address), then a 15-minute cool-off of that pair that doubles with every
further failure, and 30 per address in a rolling 15 minutes; over a limit every attempt is refused
before the password is checked. Tested at the exact edges on a travelling clock. The attacker's view
of the same rule (every face, the owner elsewhere) is tests/security/test_throttling.py."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import translation

from hejie.accounts import services
from hejie.accounts.models import ApiToken, PasswordFailure
from hejie.businesses import services as businesses
from hejie.core.errors import InvalidInput, RateLimited, Unauthenticated
from hejie.web.common.i18n import pick

from ..conftest import T0

pytestmark = pytest.mark.django_db

RIGHT = "right-pass-2026-hejie"
WRONG = "wrong-pass-2026-hejie"
NEW = "new-pass-2026-hejie"
IP = "10.0.0.1"
OTHER_IP = "10.0.0.2"
MINUTE = dt.timedelta(minutes=1)
WINDOW = dt.timedelta(minutes=15)


@pytest.fixture
def clerk(make_user, business):
    user = make_user("business", business=business, username="clerk")
    user.set_password(RIGHT)
    user.save(update_fields=["password"])
    return user


def sign_in(username="clerk", password=RIGHT, ip=IP):
    return services.password_authenticate(username=username, password=password, ip=ip)


def fail(n=1, username="clerk", ip=IP, traveller=None, step=None):
    """``n`` wrong passwords, each checked and refused as wrong (not as limited)."""
    for _ in range(n):
        with pytest.raises(Unauthenticated):
            sign_in(username, WRONG, ip)
        if traveller is not None and step:
            traveller.shift(step)


def refused(username="clerk", password=RIGHT, ip=IP) -> RateLimited:
    with pytest.raises(RateLimited) as info:
        sign_in(username, password, ip)
    return info.value


def test_the_fifth_wrong_password_is_checked_and_the_sixth_attempt_refused_even_if_right(traveller, clerk):
    fail(4, traveller=traveller, step=MINUTE)  # at T0, +1, +2, +3 minutes
    with pytest.raises(Unauthenticated):  # the 5th (T0 + 4 min) is still checked
        sign_in(password=WRONG)
    exc = refused()  # the 6th, with the right password: refused
    assert exc.status == 429 and exc.code == "rate_limited"
    assert exc.retry_after == 15 * 60  # the cool-off counts from the last failure
    assert exc.message == "该账号在此网络的密码错误次数过多，请15分钟后再试"
    assert PasswordFailure.objects.count() == 5  # the refused attempts count for nothing
    assert sign_in(ip=OTHER_IP) == clerk  # the account is not locked: its owner, elsewhere, signs in


def test_the_cool_off_ends_exactly_15_minutes_after_the_last_failure(traveller, clerk):
    fail(5)  # all at T0
    traveller.move_to(T0 + WINDOW - dt.timedelta(microseconds=1))
    exc = refused()
    assert exc.retry_after == 1 and "请1秒后再试" in exc.message
    with translation.override("en"):
        assert "try again in 1 second" in refused().message
    traveller.move_to(T0 + WINDOW)
    assert sign_in() == clerk


def test_every_failure_after_a_cool_off_doubles_it_up_to_twelve_hours(traveller, clerk):
    fail(5)
    waits = []
    for _ in range(6):
        wait = refused().retry_after
        waits.append(wait)
        traveller.shift(dt.timedelta(seconds=wait) - dt.timedelta(microseconds=1))
        refused()  # not a moment sooner
        traveller.shift(dt.timedelta(microseconds=1))
        fail(1)  # one more try after each cool-off, wrong again
    assert waits == [900, 1800, 3600, 7200, 14400, 28800]
    assert refused().retry_after == 12 * 3600  # 16 hours in: eleven failures, the cool-off at its longest


def test_unknown_usernames_count_like_known_ones_with_the_same_message(traveller, clerk):
    fail(5, username="ghost")
    fail(5, username="clerk")
    ghost, known = refused(username="ghost", password=WRONG), refused()
    assert (ghost.message, ghost.retry_after, ghost.fields) == (known.message, known.retry_after, known.fields)


def test_the_username_counts_trimmed_and_in_any_case(traveller, clerk):
    fail(2, username="Clerk")
    fail(2, username=" CLERK ")
    fail(1, username="clerk")
    refused()


def test_empty_input_is_refused_at_once_and_counts_for_nothing(traveller, clerk):
    for username, password in (("clerk", ""), ("", WRONG), ("  ", WRONG)):
        for _ in range(6):
            with pytest.raises(Unauthenticated):
                sign_in(username, password)
    assert not PasswordFailure.objects.exists()
    assert sign_in() == clerk


def test_a_success_clears_the_username_s_count_but_not_the_address_s(traveller, clerk):
    fail(4)
    assert sign_in() == clerk
    fail(4)  # four more are checked: the first four no longer count for clerk
    assert sign_in() == clerk
    # … but all eight still count for the address: 22 more (any usernames) make 30
    for n in range(22):
        fail(1, username=f"guess{n}")
    exc = refused(username="someone-else", password=WRONG)
    assert exc.message.startswith("此网络") and "15分钟内最多30次" in exc.message
    refused()  # clerk too, from this address, even with the right password
    assert sign_in(ip=OTHER_IP) == clerk


def test_thirty_failures_from_one_address_lock_it_but_not_another(traveller, clerk):
    for n in range(30):
        fail(1, username=f"user{n}")
        traveller.shift(dt.timedelta(seconds=10))
    exc = refused(username="user-new", password=WRONG)
    assert exc.retry_after == 15 * 60 - 30 * 10  # until the first (T0) leaves
    assert exc.message == "此网络密码错误次数过多：15分钟内最多30次，请10分钟后再试"
    with translation.override("en"):
        assert refused(username="user-new", password=WRONG).message == (
            "Too many wrong passwords from this network: at most 30 per 15 minutes; try again in 10 minutes")
    refused()  # the right password from that address: refused too
    assert sign_in(ip=OTHER_IP) == clerk  # another address is not affected
    fail(1, username="user-new", ip=OTHER_IP)
    traveller.move_to(T0 + WINDOW)  # the first failure left the window: one more try from IP
    fail(1, username="user-new")
    refused(username="user-new", password=WRONG)


def test_an_ipv6_client_counts_by_its_64_network(traveller, clerk):
    for n in range(30):
        fail(1, username=f"user{n}", ip=f"2001:db8:1:2::{n + 1:x}")
    refused(ip="2001:db8:1:2:ffff::1")
    assert sign_in(ip="2001:db8:1:3::1") == clerk
    assert set(PasswordFailure.objects.values_list("ip", flat=True)) == {"2001:db8:1:2::"}


def test_a_garbled_address_counts_as_none(traveller, clerk):
    fail(2, ip="not-an-address")
    fail(3, ip=None)
    assert set(PasswordFailure.objects.values_list("ip", flat=True)) == {None}
    refused(ip="")  # the username's limit still holds


def test_the_message_reads_in_either_language(traveller, clerk):
    fail(5)
    assert refused().message == "该账号在此网络的密码错误次数过多，请15分钟后再试"  # Chinese by default
    with translation.override("en"):
        message = refused().message
    assert message == "Too many wrong passwords for this account from this network; try again in 15 minutes"
    assert pick(message) == message  # already in one language: the pages show it whole


def test_rows_older_than_a_day_are_pruned_as_new_ones_are_written(traveller, clerk):
    fail(3, username="old")
    traveller.move_to(T0 + dt.timedelta(hours=20))
    fail(1, username="recent")
    traveller.move_to(T0 + dt.timedelta(days=1, seconds=1))
    fail(1, username="someone")  # any new row prunes every old one (a batch at a time)
    assert sorted(PasswordFailure.objects.values_list("username", flat=True)) == ["recent", "someone"]


# --- password_change ---------------------------------------------------------------------------


def change(user, current=RIGHT, new=NEW, ip=IP):
    return services.password_change(user=user, current_password=current, new_password=new,
                                    new_password_again=new, ip=ip)


def test_five_wrong_current_passwords_lock_the_change(traveller, clerk):
    for _ in range(5):
        with pytest.raises(InvalidInput) as info:
            change(clerk, current=WRONG)
        assert set(info.value.fields) == {"current_password"}
    with pytest.raises(RateLimited) as info:
        change(clerk)  # the right current password, refused unchecked
    assert set(info.value.fields) == {"current_password"} and info.value.retry_after == 15 * 60
    clerk.refresh_from_db()
    assert clerk.check_password(RIGHT)
    refused()  # the sign-in shares the count
    traveller.move_to(T0 + WINDOW)
    user, revoked = change(clerk)
    assert user == clerk and revoked == 0 and clerk.check_password(NEW)


def test_sign_in_failures_and_wrong_current_passwords_add_up(traveller, clerk):
    fail(3)
    for _ in range(2):
        with pytest.raises(InvalidInput):
            change(clerk, current=WRONG)
    with pytest.raises(RateLimited):
        change(clerk)


def test_a_right_current_password_is_no_failure_even_if_the_new_one_is_refused(traveller, clerk):
    fail(4)
    with pytest.raises(InvalidInput) as info:
        change(clerk, new="short")
    assert set(info.value.fields) == {"new_password"}
    assert not PasswordFailure.objects.filter(cleared_at__isnull=True).exists()  # and it cleared the four
    fail(4)
    assert sign_in() == clerk


def test_an_empty_current_password_is_no_guess(traveller, clerk):
    for _ in range(6):
        with pytest.raises(InvalidInput):
            change(clerk, current="")
    assert not PasswordFailure.objects.exists()


# --- a changed password revokes the API keys ----------------------------------------------------


def test_changing_the_password_revokes_every_api_key(traveller, clerk, make_user):
    keys = [services.token_create(user=clerk) for _ in range(2)]
    old = services.token_create(user=clerk)
    services.token_revoke(user=clerk, raw=old)
    someone = make_user("council", region="420100")
    theirs = services.token_create(user=someone)
    traveller.shift(MINUTE)
    user, revoked = change(clerk)
    assert revoked == 2
    assert all(services.token_authenticate(raw) is None for raw in keys)
    assert sorted(ApiToken.objects.filter(user=clerk).values_list("revoked_at", flat=True)) \
        == [T0, T0 + MINUTE, T0 + MINUTE]  # the one revoked before keeps its time
    assert services.token_authenticate(theirs) == someone
    fresh = services.token_create(user=clerk)  # a key made after the change works
    assert services.token_authenticate(fresh) == clerk


def test_a_refused_change_revokes_nothing(clerk):
    raw = services.token_create(user=clerk)
    with pytest.raises(InvalidInput):
        change(clerk, current=WRONG)
    with pytest.raises(InvalidInput):
        change(clerk, new="short")
    assert services.token_authenticate(raw) == clerk


def test_a_staff_password_reset_revokes_the_member_s_keys(make_user, business, clerk):
    admin = make_user("business", business=business, is_business_admin=True)
    theirs = services.token_create(user=clerk)
    mine = services.token_create(user=admin)
    member, password = businesses.staff_reset_password(actor=admin, business=business, user_id=clerk.pk)
    assert services.token_authenticate(theirs) is None
    assert services.token_authenticate(mine) == admin
    assert sign_in(password=password) == member


def test_a_reset_lifts_the_lock_on_the_member_but_not_on_the_address(traveller, make_user, business, clerk):
    admin = make_user("business", business=business, is_business_admin=True)
    fail(5, ip=IP)  # the clerk, cooling off after five wrong guesses
    refused(ip=IP)
    member, password = businesses.staff_reset_password(actor=admin, business=business, user_id=clerk.pk)
    assert sign_in(password=password, ip=IP) == member  # no 15-minute wait after the admin's reset
    assert PasswordFailure.objects.filter(ip=IP).count() == 5  # the guesses still count for where they came from


# --- concurrent guesses cannot slip past the limit (PostgreSQL: real locks) -----------------------


@pytest.mark.pg_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_concurrent_guesses_get_five_checks_and_no_more(reference_data, clerk):
    n = 8
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait()
            sign_in(password=WRONG)
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
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["RateLimited"] * 3 + ["Unauthenticated"] * 5, results
    assert PasswordFailure.objects.count() == 5
