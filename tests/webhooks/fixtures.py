"""Fixtures shared by tests/webhooks and tests/api/test_webhooks.py."""

import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def webhook_settings(settings):
    """Tests send to 127.0.0.1 (allowed here only), in the calling thread
    right after commit, without a broker."""
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = True
    settings.HEJIE_WEBHOOK_BACKGROUND = False
    settings.CELERY_BROKER_URL = None
    return settings


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def admin(make_user, business):
    """Admin staff of ``business``."""
    return make_user("business", business=business, is_business_admin=True)


@pytest.fixture
def endpoint(webhook_settings, admin, receiver):
    from hejie.webhooks.services import endpoint_create

    return endpoint_create(actor=admin, url=receiver.url, description="ERP")
