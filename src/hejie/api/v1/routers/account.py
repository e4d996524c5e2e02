"""The signed-in person's rights over their own data (PIPL): a copy of it, and closing the account.
Thin face over ``hejie.complaints.rights``: there is no parameter naming another person."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from hejie.api.v1.routers.complaints import Utc
from hejie.api.v1.schemas import StrictSchema, errors
from hejie.complaints import rights
from hejie.core import clock
from hejie.core.http import client_ip

router = Router(tags=["account"])


class CloseIn(StrictSchema):
    code: str | None = Field(None, max_length=10, description="the code sent by POST /account/close/code")
    password: str | None = Field(None, max_length=200, description="instead of a code, for an account with one")
    withdraw_open: bool = Field(False, description="withdraw my open complaints first (else 409 open_orders)")


class CloseOut(Schema):
    closed_at: Utc
    withdrawn: int
    pseudonymised: int


class Accepted(Schema):
    detail: str


ZIP = {"responses": {200: {"description": "a zip: account.json, orders.json, orders.csv, draft.json, files/",
                           "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/data", response=errors(401, 403), summary="Download everything held about me (a zip)",
            openapi_extra=ZIP)
def data(request):
    user = request.auth
    body = rights.account_data_zip(user)
    response = HttpResponse(body, content_type="application/zip")
    name = f"hejie-my-data-{clock.local_date().strftime('%Y%m%d')}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post("/close/code", response={202: Accepted, **errors(401, 403, 422, 429)},
             summary="Send the SMS code that confirms closing my account (consumers)")
def close_code(request):
    rights.account_close_code_send(user=request.auth, ip=client_ip(request))
    return Status(202, {"detail": _("验证码已发送，5分钟内有效")})


@router.post("/close", response={200: CloseOut, **errors(401, 403, 409, 422, 429)},
             summary="Close my account (consumers)",
             description="Confirmed by the SMS code of `/account/close/code` (or the account's password). Open "
                         "complaints are withdrawn first: without `withdraw_open: true` the answer is 409 "
                         "`open_orders` saying how many; a complaint in the council's mediation cannot be "
                         "withdrawn (409 `mediation_open`). Every closed complaint is pseudonymised at once "
                         "(figures and the businesses' records stay), the account can no longer sign in, and "
                         "its API tokens are revoked.")
def close(request, payload: CloseIn):
    user = request.auth
    done = rights.account_close(user=user, code=payload.code, password=payload.password,
                                withdraw_open=payload.withdraw_open, ip=client_ip(request))
    user.refresh_from_db()
    return {"closed_at": user.closed_at, **done}
