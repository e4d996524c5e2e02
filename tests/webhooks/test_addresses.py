"""Where deliveries may go: URL checks at registration, address checks (SSRF)
at each attempt."""

import ipaddress
import socket

import pytest

from hejie.core.errors import InvalidInput
from hejie.webhooks import transport
from hejie.webhooks.models import WebhookDelivery
from hejie.webhooks.services import endpoint_create

PRIVATE_URLS = [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://api.localhost/hook", "http://10.1.2.3/hook",
    "http://172.16.0.1/hook", "http://192.168.1.10/hook", "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://[::1]/hook", "http://[fd00::1]/hook",
    "http://[fe80::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://224.0.0.1/hook",
]


@pytest.fixture
def strict(settings):
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = False
    return settings


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_literal_addresses_are_refused_at_registration(strict, admin, url):
    with pytest.raises(InvalidInput) as e:
        endpoint_create(actor=admin, url=url)
    assert e.value.code == "private_address" and "url" in e.value.fields


@pytest.mark.parametrize("url", [
    "ftp://example.com/hook", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)", "example.com/hook",
    "http://", "http://exa mple.com/", "https://user:pass@example.com/hook", "https://example.com/hook#frag",
    "https://example.com:99999/hook", "", "   ", "https://example.com/" + "a" * 500,
])
def test_only_plain_http_and_https_urls_are_registered(strict, admin, url):
    with pytest.raises(InvalidInput) as e:
        endpoint_create(actor=admin, url=url)
    assert "url" in e.value.fields


def test_a_public_url_is_registered_without_a_lookup(strict, admin, monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("no DNS lookups while registering")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    endpoint = endpoint_create(actor=admin, url="  https://erp.example.com:8443/hejie/events?k=1  ")
    assert endpoint.url == "https://erp.example.com:8443/hejie/events?k=1"
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40


@pytest.mark.parametrize("ip", ["8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"])
def test_public_addresses_are_public(ip):
    assert transport.is_public(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1", "fc00::1",
                                "100.100.100.200", "192.0.2.1", "255.255.255.255", "ff02::1"])
def test_private_and_reserved_addresses_are_not(ip):
    assert not transport.is_public(ipaddress.ip_address(ip))


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_that_resolves_to_a_private_address_is_refused_when_sending(traveller, settings, admin, receiver,
                                                                            monkeypatch, file_complaint,
                                                                            django_capture_on_commit_callbacks):
    fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
    endpoint_create(actor=admin, url=f"http://hooks.example.test:{receiver.port}/hook")
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = False  # production
    with django_capture_on_commit_callbacks(execute=True):
        file_complaint()
    d = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert d.status == "pending" and d.attempts == 1 and d.last_status_code is None
    assert d.last_error == "refused: hooks.example.test resolves to a non-public address (127.0.0.1)"


def test_one_private_answer_among_public_ones_is_enough_to_refuse(settings, monkeypatch):
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = False
    fake_dns(monkeypatch, {"mixed.example.test": ["93.184.216.34", "10.0.0.8"]})
    outcome = transport.post("http://mixed.example.test/hook", b"{}", {})
    assert not outcome.ok and "10.0.0.8" in outcome.error


def test_the_connection_goes_to_the_address_that_was_checked(traveller, admin, receiver, monkeypatch, file_complaint,
                                                             django_capture_on_commit_callbacks):
    """The name is resolved once, checked, and that address is connected to
    (DNS rebinding cannot swap it); Host still names the endpoint's host."""
    fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
    endpoint = endpoint_create(actor=admin, url=f"http://hooks.example.test:{receiver.port}/hook?shop=7")
    calls = []
    real_resolve = transport.resolve
    monkeypatch.setattr(transport, "resolve", lambda host, port: calls.append(host) or real_resolve(host, port))
    with django_capture_on_commit_callbacks(execute=True):
        file_complaint()
    [got] = receiver.received
    assert got.path == "/hook?shop=7" and got.headers["Host"] == f"hooks.example.test:{receiver.port}"
    assert calls == ["hooks.example.test"]
    assert WebhookDelivery.objects.get().status == "delivered"
    assert endpoint.url.startswith("http://hooks.example.test")


def test_a_name_that_does_not_resolve_is_a_failed_attempt(settings, monkeypatch):
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = False

    def nxdomain(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    outcome = transport.post("https://nowhere.example.test/hook", b"{}", {})
    assert not outcome.ok and outcome.error.startswith("cannot resolve nowhere.example.test")
