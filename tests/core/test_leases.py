import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from hejie.core.leases import lease_acquire, lease_holder, lease_release, lease_renew
from tests.concurrency import race

pytestmark = pytest.mark.django_db
TTL = dt.timedelta(seconds=30)


def test_one_holder_at_a_time_and_only_the_holder_releases():
    token = lease_acquire("job", ttl=TTL)
    assert token
    assert lease_acquire("job", ttl=TTL) is None
    held = lease_holder("job")
    assert held and held.holder == token and held.expires_at > timezone.now()
    assert lease_acquire("other", ttl=TTL)  # leases are by name
    assert not lease_release("job", "not-the-token")  # nothing changes for another token
    assert lease_acquire("job", ttl=TTL) is None
    assert lease_release("job", token)
    assert lease_holder("job") is None
    again = lease_acquire("job", ttl=TTL)
    assert again and again != token


def test_a_dead_holders_lease_expires_and_its_late_release_frees_nothing():
    with time_machine.travel(timezone.now(), tick=False) as t:
        dead = lease_acquire("job", ttl=TTL)  # its holder dies: never released
        t.shift(TTL - dt.timedelta(seconds=1))
        assert lease_acquire("job", ttl=TTL) is None
        t.shift(dt.timedelta(seconds=1))
        assert lease_holder("job") is None
        successor = lease_acquire("job", ttl=TTL)
        assert successor
        assert not lease_release("job", dead)  # the old holder waking up does not free its successor's
        assert not lease_renew("job", dead, ttl=TTL)
        assert lease_holder("job").holder == successor


def test_renewal_keeps_it():
    with time_machine.travel(timezone.now(), tick=False) as t:
        token = lease_acquire("job", ttl=TTL)
        t.shift(TTL - dt.timedelta(seconds=1))
        assert lease_renew("job", token, ttl=TTL)
        t.shift(TTL - dt.timedelta(seconds=1))
        assert lease_acquire("job", ttl=TTL) is None


def test_a_lease_needs_a_duration():
    with pytest.raises(ValueError):
        lease_acquire("job", ttl=dt.timedelta(0))


@pytest.mark.django_db(transaction=True)
def test_callers_at_once_on_a_new_name_get_one_holder_and_no_error():
    """Six callers on their own connections, released at once, twenty times, each time on a lease
    that has no row yet (the first caller creates it): exactly one holds it and nobody gets an
    error (on SQLite a table another connection is writing answers "table is locked" at once)."""
    for attempt in range(20):
        name = f"race-{attempt}"
        results = race(*[lambda name=name: lease_acquire(name, ttl=TTL)] * 6)
        assert [r for r in results if isinstance(r, Exception)] == []
        assert len([r for r in results if r]) == 1
        assert lease_holder(name).holder in results
