"""Schemas shared by the routers."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """Input schemas refuse unknown fields (a typo is an error, not silence)."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    error: ErrorDetail


def errors(*statuses: int) -> dict:
    """The error responses of an operation, for its schema: ``response={200: X, **errors(404, 409)}``.

    400 (a body that is not JSON) can answer any operation, so it is always listed."""
    return {status: ErrorOut for status in (400, *statuses)}
