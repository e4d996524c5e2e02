"""Typed domain errors. Services raise them; the faces (API, web) turn them
into 400/403/404/409/413/415/422/429 with the message unchanged."""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


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


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class UnsupportedMedia(DomainError):
    code = "unsupported_media"
    status = 415


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


def invalid(field: str, message: str, *, code: str = "invalid") -> InvalidInput:
    """A one-field input error: ``raise invalid("phone", "...")``."""
    return InvalidInput(message, code=code, fields={field: message})
