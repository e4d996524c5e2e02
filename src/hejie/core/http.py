"""The client's address, for the per-address limits (sign-in codes, wrong passwords).

Without a proxy it is ``REMOTE_ADDR``. Behind a reverse proxy every request
comes from the proxy, so one guesser would lock everyone out: list the
proxies' addresses in ``HEJIE_TRUSTED_PROXIES`` and, for a request that comes
from one of them, the client is the right-most address of
``X-Forwarded-For`` that is not itself a trusted proxy (each proxy appends
the address it received the request from; anything further left was written
by the client and can be forged). A header that does not parse is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _address(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in net for net in networks)


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    networks = [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "HEJIE_TRUSTED_PROXIES", ())]
    if not networks or not _trusted(_address(remote or ""), networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _address(hop)
        if address is None:
            return remote
        if not _trusted(address, networks):
            return str(address)
    return remote
