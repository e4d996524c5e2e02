"""Schemas shared by the routers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict


def storable(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL, and UTF-8 cannot hold a lone surrogate
    ("\\ud800" is valid JSON): refuse both as input errors, not 500s."""
    if value is not None:
        if "\x00" in value:
            raise ValueError(_("不能包含空字符"))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(_("不是有效的Unicode文字")) from None
    return value


Text = Annotated[str, AfterValidator(storable)]

MAX_ID = 2**63 - 1  # the largest id a 64-bit column holds (SQLite's INTEGER, PostgreSQL's bigint)

_WHOLE = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def whole_number(value: object) -> object:
    """An integer in a path or a query string is written in digits: pydantic alone would take
    "1.0" (and a float 1.0 in JSON) for 1."""
    if isinstance(value, str) and not _WHOLE.fullmatch(value.strip()):
        raise ValueError(_("应为整数"))
    if isinstance(value, float):
        raise ValueError(_("应为整数"))
    return value


def iso_datetime(value: object) -> object:
    """A moment is an ISO 8601 date or date-time: pydantic alone would read a number ("0.5",
    "1700000000") as seconds since 1970."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        raise ValueError(_("应为ISO 8601日期时间，例如 2026-03-15T10:00:00+08:00"))
    return value


# An integer in a query string or a path: digits only.
QueryInt = Annotated[int, BeforeValidator(whole_number)]
# A moment in a query string: ISO 8601 only.
IsoDateTime = Annotated[dt.datetime, BeforeValidator(iso_datetime)]
# A row's id in a path: digits; beyond 64 bits it is a 422, never an OverflowError from the database driver.
PathId = Annotated[int, BeforeValidator(whole_number), Path(..., ge=1, le=MAX_ID)]


class StrictSchema(Schema):
    """Input schemas refuse unknown fields (a typo is an error, not silence)."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    error: ErrorDetail


class GoneDetail(ErrorDetail):
    removed_at: dt.datetime | None = Field(description="when it was removed (null if not recorded)")
    removal: str = Field(description="how: rule, appeal or decision (black list); decision or blacklisted "
                                     "(red list); status (a business's listing)")


class PhoneCodeIn(StrictSchema):
    """A number to prove by SMS code (an application's contact phone, a partner admin's mobile)."""

    phone: str = Field(max_length=20, description="a mainland mobile number, e.g. 13800138000")


class PhoneCodeSent(Schema):
    detail: str
    phone_masked: str


class GoneOut(Schema):
    """410: it was public and was removed."""

    error: GoneDetail


def errors(*statuses: int) -> dict:
    """The error responses of an operation, for its schema: ``response={200: X, **errors(404, 409)}``.

    400 (a body that is not JSON) can answer any operation, so it is always listed. 410 says when and how."""
    return {status: GoneOut if status == 410 else ErrorOut for status in (400, *statuses)}


def file_download(description: str) -> dict:
    """``openapi_extra`` of an operation that answers a stored upload: its 200 in every type an upload may have."""
    from hejie.complaints.evidence import TYPES

    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": description, "content": {t[0]: binary for t in TYPES.values()}}}}
