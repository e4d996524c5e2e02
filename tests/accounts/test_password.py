"""password_change: a signed-in staff member changes their own password. Every
refusal from the side of the one refused."""

import pytest
from django.contrib.auth import authenticate

from hejie.accounts.services import password_change
from hejie.core.errors import InvalidInput, NotAllowed, Unauthenticated

pytestmark = pytest.mark.django_db

OLD = "old-pass-2026-hejie"
NEW = "new-pass-2026-hejie"


@pytest.fixture
def clerk(make_user, business):
    user = make_user("business", business=business, username="clerk")
    user.set_password(OLD)
    user.save(update_fields=["password"])
    return user


def change(user, current=OLD, new=NEW, again=None):
    return password_change(user=user, current_password=current, new_password=new,
                           new_password_again=new if again is None else again)


def test_the_right_current_password_changes_it(clerk):
    change(clerk)
    assert authenticate(username="clerk", password=NEW) == clerk
    assert authenticate(username="clerk", password=OLD) is None


def test_a_wrong_current_password_is_beside_its_field_and_changes_nothing(clerk):
    with pytest.raises(InvalidInput) as info:
        change(clerk, current="not-my-password")
    assert set(info.value.fields) == {"current_password"}
    assert "当前密码不正确" in info.value.fields["current_password"]
    assert authenticate(username="clerk", password=OLD) == clerk


def test_the_new_password_typed_twice_must_match(clerk):
    with pytest.raises(InvalidInput) as info:
        change(clerk, again=NEW + "x")
    assert set(info.value.fields) == {"new_password_again"}
    assert authenticate(username="clerk", password=OLD) == clerk


@pytest.mark.parametrize(("new", "words"), [("short", "密码不符合要求"), ("password123", "密码不符合要求"),
                                            ("", "请设置密码"), ("clerk", "密码不符合要求"),
                                            (OLD, "不能与当前密码相同")])
def test_the_new_password_follows_the_rules_for_new_accounts(clerk, new, words):
    with pytest.raises(InvalidInput) as info:
        change(clerk, new=new)
    assert set(info.value.fields) == {"new_password"} and words in info.value.fields["new_password"]
    assert authenticate(username="clerk", password=OLD) == clerk


def test_every_error_at_once(clerk):
    with pytest.raises(InvalidInput) as info:
        change(clerk, current="", new="short")
    assert set(info.value.fields) == {"current_password", "new_password"}


def test_consumers_have_no_password_to_change(consumer):
    consumer.set_unusable_password()
    consumer.save(update_fields=["password"])
    with pytest.raises(NotAllowed):
        change(consumer, current="")
    with pytest.raises(NotAllowed):  # even one given a password somehow
        consumer.set_password(OLD)
        change(consumer)


def test_nobody_and_a_disabled_account_are_refused(clerk):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Unauthenticated):
        change(AnonymousUser())
    clerk.is_active = False
    with pytest.raises(Unauthenticated):
        change(clerk)
