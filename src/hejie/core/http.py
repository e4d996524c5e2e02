"""HTTP helpers that know no domain: the client's address, and a stored file as a response.

The client's address, for the per-address limits (sign-in codes, wrong passwords).
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
import logging
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _

from hejie.core.errors import NotFound
from hejie.core.storage import open_stream, storage_errors

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class StoredUpload(Protocol):
    """A row holding an upload: evidence, a draft's file, an appeal's file."""

    @property
    def file(self) -> FieldFile: ...
    @property
    def original_name(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...


def _address(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPAddress | None, networks: Iterable[IPNetwork]) -> bool:
    return address is not None and any(address in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    remote: str | None = request.META.get("REMOTE_ADDR")
    networks = [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "HEJIE_TRUSTED_PROXIES", ())]
    if not networks or not _trusted(_address(remote or ""), networks):
        return remote
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _address(hop)
        if address is None:
            return remote
        if not _trusted(address, networks):
            return str(address)
    return remote


def stored_file_response(stored: StoredUpload, *, download: bool = False) -> FileResponse:
    """A stored upload as a response that a browser neither sniffs nor runs: ``stored`` is any row
    with ``file``, ``original_name``, ``content_type`` and ``size`` (evidence, a draft's file, an
    appeal's file). Shown inline, or as an attachment with ``download``; its name is kept (UTF-8).
    The caller has already checked that the reader may see it: this only builds the response.

    The bytes are streamed from the storage (local disk or the private bucket: ``core.storage``),
    never redirected to a bucket URL. A row whose file is not in the storage (evidence not yet
    moved to the bucket by ``hejie evidence_to_s3``) is logged and answered as not found."""
    try:
        with storage_errors():  # the bucket out of reach: 503, try again later
            stream = open_stream(stored.file)
    except FileNotFoundError:
        log.error("stored file %s is missing from the storage", stored.file.name)
        raise NotFound(_("文件不存在")) from None
    response = FileResponse(stream, content_type=stored.content_type)
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(stored.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Length"] = str(stored.size)
    return response
