import pytest

from tests.webhooks import fixtures

# the shared fixtures (also used by tests/api/test_webhooks.py)
webhook_settings = fixtures.webhook_settings
receiver = fixtures.receiver
admin = fixtures.admin
endpoint = fixtures.endpoint


@pytest.fixture(autouse=True)
def _webhook_settings(webhook_settings):
    return webhook_settings
