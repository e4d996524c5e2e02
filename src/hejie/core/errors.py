"""Typed domain errors. Services raise them; the faces (API, web) turn them
into 400/403/404/409/410/413/415/422/429/503 with the message unchanged. Messages
are gettext: Chinese msgids, read in the active language when raised."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model
from django.utils.functional import Promise

# A message: a string, or a lazy translation read when the error is made.
Message = str | Promise


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: Message, *, code: str | None = None, fields: dict[str, str] | None = None) -> None:
        message = str(message)  # a lazy translation is read now, in the language of the request
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def details(self) -> dict[str, Any]:
        """What the error says beyond its code, message and fields (none by default)."""
        return {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields, **self.details()}


class BadRequest(DomainError):
    """The request itself is malformed (not one field's value)."""

    code = "bad_request"
    status = 400


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405


class InvalidInput(DomainError):
    """The input itself is wrong (a field's value, a missing field)."""

    code = "invalid"
    status = 422


class Unauthenticated(DomainError):
    """Wrong credentials."""

    code = "unauthorized"
    status = 401


class NotAllowed(DomainError):
    """This actor may not do this."""

    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The action does not fit the current state (out of turn, duplicate)."""

    code = "conflict"
    status = 409


class Gone(DomainError):
    """It was public and was removed (HTTP 410). ``when`` is the removal time,
    ``kind`` says how (e.g. ``rule``, ``appeal``, ``decision``, ``blacklisted``);
    ``subject`` is what was removed and ``related`` what replaced it, if anything
    (for the pages; the API says ``removed_at`` and ``removal``)."""

    code = "gone"
    status = 410

    def __init__(self, message: Message, *, subject: Model | None = None, when: dt.datetime | None = None,
                 kind: str = "", related: Model | None = None) -> None:
        super().__init__(message)
        self.subject = subject
        self.when = when
        self.kind = kind
        self.related = related

    def details(self) -> dict[str, Any]:
        return {"removed_at": self.when, "removal": self.kind}


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class UnsupportedMedia(DomainError):
    code = "unsupported_media"
    status = 415


class Unavailable(DomainError):
    """Something the request needs is out of reach for now (the file storage): try again later."""

    code = "unavailable"
    status = 503


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: Message, *, retry_after: int = 60, code: str | None = None,
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code, fields=fields)
        self.retry_after = retry_after


def invalid(field: str, message: Message, *, code: str = "invalid") -> InvalidInput:
    """A one-field input error: ``raise invalid("phone", _("..."))``."""
    message = str(message)
    return InvalidInput(message, code=code, fields={field: message})
