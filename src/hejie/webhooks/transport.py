"""Where a delivery may go, and sending it.

Why refuse private addresses (SSRF)
-----------------------------------
A webhook URL is typed in by a business, and Hejie's servers then make
requests to it from inside the data centre. Without a check, anyone who can
register an endpoint can make Hejie POST to addresses only Hejie can reach:
the cloud metadata service (169.254.169.254, which hands out credentials),
the database, Redis, admin interfaces on localhost, other hosts of the
private network — server-side request forgery. So an endpoint's host must
resolve to public addresses only: loopback, private (RFC 1918, fc00::/7),
link-local, site-local, shared (100.64/10), multicast, reserved and
unspecified addresses are refused, and so are IPv6 forms that carry such an
IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4,
Teredo: ``is_public``), unless ``settings.HEJIE_WEBHOOK_ALLOW_PRIVATE`` is
True (tests and closed installations whose receivers live on the private
network).

The check runs when the URL is registered (on literal addresses and
``localhost``; no DNS lookups in a web request) and again before every
attempt, when the name is resolved. The connection then goes to the very
address that was checked (the name is not resolved a second time), so a
name that changes its answer between check and use (DNS rebinding) cannot
slip through. Redirects are not followed (a redirect to a private address
would bypass the check; a 3xx is a failed attempt) and no proxy from the
environment is used.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from hejie.core.errors import invalid
from hejie.webhooks.models import URL_MAX_LENGTH

SEND_TIMEOUT_SECONDS = 5
_url_validator = URLValidator(schemes=["http", "https"])


class Refused(Exception):
    """The URL points somewhere Hejie does not send to."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


def allow_private() -> bool:
    return bool(getattr(settings, "HEJIE_WEBHOOK_ALLOW_PRIVATE", False))


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 forms that carry an IPv4 address inside them (the address they reach is the IPv4 one):
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")        # deprecated ::a.b.c.d (RFC 4291): never sent to
NAT64 = ipaddress.ip_network("64:ff9b::/96")            # well-known NAT64 prefix (RFC 6052): judged by its IPv4
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")    # local-use NAT64 (RFC 8215): a private network's own


def _plainly_public(ip: IPAddress) -> bool:
    """``ipaddress``'s full set of non-global ranges, each named (the module's ``is_global`` alone
    lets through site-local fec0::/10 and, before Python 3.12.4, some reserved IPv6 blocks)."""
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified
                                 or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local))


def is_public(ip: IPAddress) -> bool:
    """True if ``ip`` is a public unicast address, and so is any IPv4 address it carries: an IPv4-mapped
    address (::ffff:a.b.c.d) and a NAT64 one (64:ff9b::a.b.c.d) are judged by their IPv4 address; a 6to4
    one (2002:aabb:ccdd::) by its IPv4 address and its own; IPv4-compatible (::a.b.c.d), Teredo
    (2001::/32) and local-use NAT64 (64:ff9b:1::/48) addresses are refused outright."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in IPV4_COMPATIBLE or ip in NAT64_LOCAL or ip.teredo is not None:
            return False
        if ip.sixtofour is not None and not is_public(ip.sixtofour):
            return False
    return _plainly_public(ip)


def validate_url(url: str, *, field: str = "url") -> str:
    """At registration: an absolute http(s) URL of reasonable length, with a
    host, without credentials, not obviously private (literal addresses)."""
    if not isinstance(url, str):
        raise invalid(field, _("应为网址"))
    url = url.strip()
    if not url:
        raise invalid(field, _("必填"), code="required")
    if len(url) > URL_MAX_LENGTH:
        raise invalid(field, _("网址不能超过%(n)d个字符") % {"n": URL_MAX_LENGTH})
    try:
        _url_validator(url)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except (ValidationError, ValueError):
        raise invalid(field, _("须为 http:// 或 https:// 开头的有效网址")) from None
    if parts.username is not None or parts.password is not None:
        raise invalid(field, _("网址中不能包含用户名或密码；请用签名校验请求"))
    if parts.fragment:
        raise invalid(field, _("网址不能包含 # 片段"))
    host = (parts.hostname or "").rstrip(".").lower()
    if not allow_private():
        private = host == "localhost" or host.endswith(".localhost")
        try:
            private = private or not is_public(ipaddress.ip_address(host))
        except ValueError:
            pass  # a name: resolved and checked at each attempt
        if private:
            raise invalid(field, _("不能使用内网、本机或保留地址"),
                          code="private_address")
    return url


def resolve(host: str, port: int) -> str:
    """The address to connect to. Every address the name has must be public
    (unless private ones are allowed); the first one is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise Refused(f"cannot resolve {host}: {e}") from None
    addresses = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        ip = ipaddress.ip_address(raw)
        if not allow_private() and not is_public(ip):
            raise Refused(f"refused: {host} resolves to a non-public address ({ip})")
        addresses.append(str(ip))
    if not addresses:
        raise Refused(f"cannot resolve {host}")
    return addresses[0]


def _pinned(connection_class: type[http.client.HTTPConnection], address: str, *args: Any,
            **kwargs: Any) -> http.client.HTTPConnection:
    """An http.client connection that connects to ``address`` whatever its
    host name says (the name still goes in Host, SNI and the certificate check)."""
    conn = connection_class(*args, **kwargs)

    def create_connection(host_port: tuple[str, int], timeout: float = SEND_TIMEOUT_SECONDS,
                          source_address: tuple[str, int] | None = None) -> socket.socket:
        return socket.create_connection((address, host_port[1]), timeout, source_address)

    conn._create_connection = create_connection  # type: ignore[attr-defined]  # http.client's hook, not in its stubs
    return conn


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_pinned, http.client.HTTPConnection, self.address), req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str) -> None:
        self.context = ssl.create_default_context()
        super().__init__(context=self.context)
        self.address = address

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_pinned, http.client.HTTPSConnection, self.address), req,
                            context=self.context)


def _opener(scheme: str, address: str) -> urllib.request.OpenerDirector:
    # Only the one handler: no proxies from the environment, no redirects
    # followed, and every status comes back as a response (no HTTPError).
    opener = urllib.request.OpenerDirector()
    opener.add_handler(_PinnedHTTPSHandler(address) if scheme == "https" else _PinnedHTTPHandler(address))
    return opener


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url``: 2xx is delivered, anything else a failed attempt."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return Outcome(False, error="invalid URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Outcome(False, error="only http and https URLs are sent to")
    try:
        address = resolve(parts.hostname, port)
    except Refused as e:
        return Outcome(False, error=str(e))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with _opener(parts.scheme, address).open(request, timeout=SEND_TIMEOUT_SECONDS) as response:
            status = response.status
    except TimeoutError:
        return Outcome(False, error=f"timed out after {SEND_TIMEOUT_SECONDS} s")
    except (OSError, http.client.HTTPException, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        return Outcome(False, error=f"{type(e).__name__}: {reason}"[:500])
    if 200 <= status < 300:
        return Outcome(True, status)
    note = " (redirects are not followed)" if 300 <= status < 400 else ""
    return Outcome(False, status, f"HTTP {status}{note}")
