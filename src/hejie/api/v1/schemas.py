"""Schemas shared by the routers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import AfterValidator, ConfigDict


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

# A row's id in a path: beyond 64 bits it is a 422, never an OverflowError from the database driver.
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


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


class GoneOut(Schema):
    """410: it was public and was removed."""

    error: GoneDetail


def errors(*statuses: int) -> dict:
    """The error responses of an operation, for its schema: ``response={200: X, **errors(404, 409)}``.

    400 (a body that is not JSON) can answer any operation, so it is always listed. 410 says when and how."""
    return {status: GoneOut if status == 410 else ErrorOut for status in (400, *statuses)}
