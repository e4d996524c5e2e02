"""Binding a WeChat openid to an account (hejie.accounts.services.wechat_bind / wechat_unbind /
wechat_signin, selectors.user_by_wechat): one openid per person, never two people's."""

from __future__ import annotations

import pytest

from hejie.accounts import selectors, services
from hejie.accounts.models import User
from hejie.core.errors import Conflict, InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def test_bind_then_find_then_unbind(consumer):
    services.wechat_bind(user=consumer, openid="oAbC_123-x")
    assert User.objects.get(pk=consumer.pk).wechat_openid == "oAbC_123-x"
    assert selectors.user_by_wechat("oAbC_123-x") == consumer
    assert services.wechat_signin(openid="oAbC_123-x") == consumer
    services.wechat_unbind(user=consumer)
    assert User.objects.get(pk=consumer.pk).wechat_openid is None
    assert selectors.user_by_wechat("oAbC_123-x") is None and selectors.user_by_wechat("") is None
    assert services.wechat_signin(openid="oAbC_123-x") is None


def test_binding_again_is_harmless_and_a_new_openid_replaces_the_old(consumer):
    services.wechat_bind(user=consumer, openid="o-1")
    services.wechat_bind(user=consumer, openid="o-1")
    services.wechat_bind(user=consumer, openid="o-2")
    assert User.objects.get(pk=consumer.pk).wechat_openid == "o-2"
    assert selectors.user_by_wechat("o-1") is None


def test_an_openid_bound_to_someone_else_is_refused(consumer, staff):
    services.wechat_bind(user=staff, openid="o-shared")
    with pytest.raises(Conflict) as caught:
        services.wechat_bind(user=consumer, openid="o-shared")
    assert caught.value.code == "wechat_taken" and "已绑定另一个账号" in caught.value.message
    assert User.objects.get(pk=consumer.pk).wechat_openid is None
    assert User.objects.get(pk=staff.pk).wechat_openid == "o-shared"


@pytest.mark.parametrize("openid", ["", "   ", "o pen", "o<script>", "x" * 65])
def test_a_malformed_openid_is_refused(consumer, openid):
    with pytest.raises(InvalidInput):
        services.wechat_bind(user=consumer, openid=openid)


def test_a_deactivated_account_binds_nothing_and_does_not_sign_in(consumer):
    services.wechat_bind(user=consumer, openid="o-c")
    consumer.is_active = False
    consumer.save()
    with pytest.raises(NotAllowed):
        services.wechat_bind(user=consumer, openid="o-d")
    with pytest.raises(NotAllowed):
        services.wechat_signin(openid="o-c")


def test_a_staff_wechat_carries_messages_but_does_not_sign_in(staff):
    services.wechat_bind(user=staff, openid="o-staff")
    with pytest.raises(NotAllowed) as caught:
        services.wechat_signin(openid="o-staff")
    assert caught.value.code == "staff_wechat"
