"""The client's address behind trusted proxies (hejie.core.http.client_ip), from the side of a client
who forges X-Forwarded-For; and a stored file served so a browser neither sniffs nor runs it
(hejie.core.http.stored_file_response)."""

import tempfile
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.test import RequestFactory

from hejie.core.http import client_ip, stored_file_response


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


# --------------------------------------------------------------------------- a stored file as a response


def _stored(name="收据 1.pdf", content=b"%PDF-1.4 test", content_type="application/pdf"):
    """A stored file as the evidence rows hold one: a name in a storage (a temporary folder)."""
    storage = FileSystemStorage(location=tempfile.mkdtemp(prefix="hejie-http-"))
    saved = storage.save("x.pdf", ContentFile(content))
    return SimpleNamespace(file=SimpleNamespace(storage=storage, name=saved), original_name=name,
                           content_type=content_type, size=len(content))


@pytest.mark.parametrize(("download", "disposition"), [(False, "inline"), (True, "attachment")])
def test_a_stored_file_is_served_so_a_browser_neither_sniffs_nor_runs_it(download, disposition):
    response = stored_file_response(_stored(), download=download)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"{disposition}; filename*=UTF-8''%E6%94%B6%E6%8D%AE%201.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Length"] == str(len(b"%PDF-1.4 test"))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
