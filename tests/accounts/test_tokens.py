import datetime as dt
import hashlib

import pytest
import time_machine

from hejie.accounts import selectors, services
from hejie.accounts.models import ApiToken
from hejie.core.errors import InvalidInput, NotAllowed, NotFound

from .conftest import T0


def test_token_is_stored_hashed_and_authenticates(consumer):
    with time_machine.travel(T0, tick=False):
        raw = services.token_create(user=consumer, label="phone app")
    token = ApiToken.objects.get()
    assert len(raw) >= 40
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    assert raw not in {token.key_hash, token.prefix, token.label}
    assert (token.user, token.label, token.created_at, token.revoked_at) == (consumer, "phone app", T0, None)
    assert services.token_authenticate(raw) == consumer


def test_each_token_is_new(consumer):
    a = services.token_create(user=consumer)
    b = services.token_create(user=consumer)
    assert a != b
    assert services.token_authenticate(a) == services.token_authenticate(b) == consumer


@pytest.mark.parametrize("raw", [None, "", "nonsense", "x" * 1000])
def test_unknown_key_is_none(db, consumer, raw):
    services.token_create(user=consumer)
    assert services.token_authenticate(raw) is None


def test_last_used_is_written_at_most_once_a_minute(consumer, django_assert_num_queries):
    raw = services.token_create(user=consumer)
    with time_machine.travel(T0, tick=False) as traveller:
        with django_assert_num_queries(2):  # read + first touch
            assert services.token_authenticate(raw) == consumer
        assert ApiToken.objects.get().last_used_at == T0
        traveller.shift(dt.timedelta(seconds=59))
        with django_assert_num_queries(1):  # read only: no write within the minute
            assert services.token_authenticate(raw) == consumer
        assert ApiToken.objects.get().last_used_at == T0
        traveller.shift(dt.timedelta(seconds=1))
        with django_assert_num_queries(2):
            assert services.token_authenticate(raw) == consumer
        assert ApiToken.objects.get().last_used_at == T0 + dt.timedelta(seconds=60)


def test_revoke_by_key_then_refused(consumer):
    raw = services.token_create(user=consumer)
    keep = services.token_create(user=consumer)
    with time_machine.travel(T0, tick=False):
        token = services.token_revoke(user=consumer, raw=raw)
    assert token.revoked_at == T0
    assert services.token_authenticate(raw) is None
    assert services.token_authenticate(keep) == consumer  # only that one


def test_revoke_by_id_and_twice_is_harmless(consumer):
    raw = services.token_create(user=consumer)
    token = ApiToken.objects.get()
    with time_machine.travel(T0, tick=False):
        services.token_revoke(user=consumer, token_id=token.pk)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.token_revoke(user=consumer, token_id=token.pk)
    assert ApiToken.objects.get().revoked_at == T0
    assert services.token_authenticate(raw) is None


def test_cannot_revoke_someone_elses_token(consumer, staff):
    raw = services.token_create(user=consumer)
    with pytest.raises(NotFound):
        services.token_revoke(user=staff, raw=raw)
    with pytest.raises(NotFound):
        services.token_revoke(user=staff, token_id=ApiToken.objects.get().pk)
    assert services.token_authenticate(raw) == consumer


def test_revoke_needs_exactly_one_of_key_or_id(consumer):
    raw = services.token_create(user=consumer)
    with pytest.raises(InvalidInput):
        services.token_revoke(user=consumer)
    with pytest.raises(InvalidInput):
        services.token_revoke(user=consumer, raw=raw, token_id=ApiToken.objects.get().pk)


def test_disabled_user_token_is_refused(consumer):
    raw = services.token_create(user=consumer)
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])
    assert services.token_authenticate(raw) is None
    with pytest.raises(NotAllowed):
        services.token_create(user=consumer)


def test_token_list_hides_revoked(consumer):
    raw = services.token_create(user=consumer, label="old")
    services.token_create(user=consumer, label="new")
    services.token_revoke(user=consumer, raw=raw)
    assert [t.label for t in selectors.token_list(user=consumer)] == ["new"]
    assert {t.label for t in selectors.token_list(user=consumer, include_revoked=True)} == {"old", "new"}
