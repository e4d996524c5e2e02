"""The client's address behind trusted proxies (hejie.core.http.client_ip), from the side of a client
who forges X-Forwarded-For."""

import pytest
from django.test import RequestFactory

from hejie.core.http import client_ip


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.HEJIE_TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


@pytest.mark.parametrize(("remote", "forwarded", "expected"), [
    ("10.0.0.2", "203.0.113.7", "203.0.113.7"),  # the proxy names the client
    ("10.0.0.2", "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # a forged first hop is not believed
    ("10.0.0.2", "203.0.113.7, 10.0.0.3", "203.0.113.7"),  # two proxies of ours in a row
    ("10.0.0.2", "", "10.0.0.2"),  # no header: the proxy itself
    ("10.0.0.2", "not-an-address", "10.0.0.2"),  # a header that does not parse is ignored
    ("198.51.100.9", "1.2.3.4", "198.51.100.9"),  # not from a trusted proxy: the header is the client's own
    ("10.0.0.2", "2001:db8::1", "2001:db8::1"),
])
def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(settings, remote, forwarded, expected):
    settings.HEJIE_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip(_request(remote, forwarded)) == expected
