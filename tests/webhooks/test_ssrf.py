"""Webhook SSRF from the attacker's side: every way of writing an address Hejie must not reach
(IPv6 forms that embed an IPv4 address included) is refused when the URL is registered (a literal
address) and when a delivery is sent (whatever the name resolves to); a name that changes its
answer after the check (DNS rebinding) cannot redirect the connection; redirects are not followed.

The DNS answers are the test's own resolver (``socket.getaddrinfo`` replaced): DNS is what the
attacker controls. The receiver is a real HTTP server on 127.0.0.1 started by the test."""

import ipaddress
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from hejie.accounts.services import token_create
from hejie.core.errors import InvalidInput
from hejie.webhooks import transport
from hejie.webhooks.models import WebhookDelivery
from hejie.webhooks.services import endpoint_create

# Addresses that reach the host itself, the private network or nothing routable, each written in
# a form that embeds or disguises it.
REFUSED = [
    "127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104 - a refused address, not a bind
    "255.255.255.255", "224.0.0.1",
    "::1", "::", "fe80::1", "fec0::1", "fd00::1", "ff02::1", "2001:db8::1", "100::1",
    "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",  # IPv4-mapped
    "::7f00:1", "::127.0.0.1", "::a9fe:a9fe", "::8.8.8.8",  # IPv4-compatible (deprecated: all refused)
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b::127.0.0.1",  # NAT64 of private
    "64:ff9b:1::808:808",  # local-use NAT64 (RFC 8215)
    "2002:7f00:1::", "2002:7f00:0001::1", "2002:a9fe:a9fe::", "2002:a00:1::1",  # 6to4 of private
    "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001::1", "2001:0:7f00:1::",  # Teredo
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8",
           "64:ff9b::808:808", "2002:808:808::1"]


def url_for(address: str, port: int = 80) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}/hook"


@pytest.fixture
def strict(settings):
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = False
    return settings


@pytest.fixture
def dns(monkeypatch):
    """The attacker's DNS: ``dns["name"] = [answers...]``; a list of lists is one answer per lookup."""
    answers: dict[str, list] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        got = answers[host]
        if got and isinstance(got[0], list):
            got = got.pop(0) if len(got) > 1 else got[0]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in got]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def connections(monkeypatch):
    """Every address a connection is opened to; only loopback ones are really opened (the machine has
    no route to the internet, and a refused connection is all these tests need from the others)."""
    opened: list[tuple[str, int]] = []
    real = socket.create_connection

    def create_connection(address, *args, **kwargs):
        opened.append((address[0], address[1]))
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"test: no route to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return opened


@pytest.mark.parametrize("address", REFUSED)
def test_every_disguise_of_a_private_address_is_refused_at_registration(strict, admin, address):
    with pytest.raises(InvalidInput) as e:
        endpoint_create(actor=admin, url=url_for(address))
    assert "url" in e.value.fields


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_in_any_form_are_registered(strict, admin, address):
    assert endpoint_create(actor=admin, url=url_for(address)).pk


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "::7f00:1", "::ffff:127.0.0.1", "2002:7f00:1::",
                                     "2001:0:4136:e378:8000:63bf:80ff:fffe"])
def test_the_api_refuses_them_too(strict, client, admin, address):
    response = client.post("/api/v1/webhooks", {"url": url_for(address)}, content_type="application/json",
                           headers={"Authorization": f"Bearer {token_create(user=admin)}"})
    assert response.status_code == 422, response.content
    assert "url" in response.json()["error"]["fields"]


@pytest.mark.parametrize("address", REFUSED)
def test_a_name_resolving_to_any_of_them_is_refused_at_send_time_without_connecting(strict, dns, connections,
                                                                                     address):
    dns["hooks.example.test"] = [address]
    outcome = transport.post("http://hooks.example.test/hook", b"{}", {})
    assert not outcome.ok and outcome.error.startswith("refused: hooks.example.test resolves to a non-public")
    assert connections == []


@pytest.mark.parametrize("address", REFUSED)
def test_one_bad_answer_among_public_ones_refuses_the_send(strict, dns, connections, address):
    dns["hooks.example.test"] = ["93.184.216.34", "2606:4700::1111", address]
    assert not transport.post("http://hooks.example.test/hook", b"{}", {}).ok
    assert connections == []


def test_dns_rebinding_cannot_move_the_connection_to_loopback(strict, traveller, admin, receiver, dns, connections,
                                                              file_complaint, django_capture_on_commit_callbacks):
    """The name answers a public address when it is checked and 127.0.0.1 (where the receiver listens)
    at every lookup after: the connection goes to the checked address, and the next attempt is refused."""
    name = "rebind.example.test"
    dns[name] = [["93.184.216.34"], ["127.0.0.1"]]
    endpoint_create(actor=admin, url=f"http://{name}:{receiver.port}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        file_complaint()
    d = WebhookDelivery.objects.get()
    assert connections == [("93.184.216.34", receiver.port)]  # the checked address, never a second lookup
    assert receiver.received == []
    assert d.status == "pending" and d.attempts == 1 and "no route to 93.184.216.34" in d.last_error

    outcome = transport.post(f"http://{name}:{receiver.port}/hook", b"{}", {})  # the retry: now it says loopback
    assert not outcome.ok and "(127.0.0.1)" in outcome.error
    assert connections == [("93.184.216.34", receiver.port)] and receiver.received == []


def test_a_real_local_server_is_refused(strict, receiver, connections):
    """A receiver really listening on 127.0.0.1: by literal address and by a name that resolves to it."""
    for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost"),
                receiver.url.replace("127.0.0.1", "[::ffff:127.0.0.1]")):
        outcome = transport.post(url, b"{}", {})
        assert not outcome.ok and outcome.error.startswith("refused:"), (url, outcome)
    assert receiver.received == [] and connections == []


def test_the_test_setting_that_allows_loopback_is_off_by_default():
    from hejie import settings as project_settings

    assert project_settings.HEJIE_WEBHOOK_ALLOW_PRIVATE is False


class _Redirector(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.send_response(307)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_is_not_followed(settings, connections):
    """A receiver answering 307 to the metadata service: the attempt fails, nothing else is opened.
    (Loopback allowed here only so that the test's redirecting server can be reached at all.)"""
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        outcome = transport.post(f"http://127.0.0.1:{server.server_port}/hook", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()
    assert not outcome.ok and outcome.status_code == 307 and "redirects are not followed" in outcome.error
    assert connections == [("127.0.0.1", server.server_port)]
