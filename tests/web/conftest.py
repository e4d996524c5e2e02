import re

import pytest

from hejie.notifications.backends import MemoryBackend

PHONE = "13800138000"


@pytest.fixture
def sms(settings):
    """SMS goes to MemoryBackend.outbox; returns the outbox, emptied."""
    backends = dict(settings.HEJIE_NOTIFICATION_BACKENDS)
    backends["sms"] = "hejie.notifications.backends.MemoryBackend"
    settings.HEJIE_NOTIFICATION_BACKENDS = backends
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


def last_code(outbox) -> str:
    match = re.search(r"\b(\d{6})\b", outbox[-1].body)
    assert match, outbox[-1].body
    return match.group(1)


@pytest.fixture
def zh(client):
    """The test client asks for Chinese, as a phone in China does."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    return client


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client
