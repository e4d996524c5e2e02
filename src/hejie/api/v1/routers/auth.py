"""Sign-in: SMS codes for consumers, passwords for staff, bearer tokens for both."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field, model_validator

from hejie.accounts import services
from hejie.accounts.phones import mask_phone
from hejie.api.v1.schemas import StrictSchema, errors
from hejie.core.errors import invalid
from hejie.core.http import client_ip

router = Router(tags=["auth"])


class CodeIn(StrictSchema):
    phone: str = Field(max_length=20, description="mainland mobile number, e.g. 13800138000")


class TokenIn(StrictSchema):
    phone: str | None = Field(None, max_length=20)
    code: str | None = Field(None, max_length=10)
    username: str | None = Field(None, max_length=150)
    password: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def one_way_to_sign_in(self):
        by_code = self.phone is not None or self.code is not None
        by_password = self.username is not None or self.password is not None
        if by_code == by_password:
            raise ValueError("give either phone and code, or username and password")
        return self


class UserOut(Schema):
    id: int
    role: str
    username: str
    display_name: str
    phone_masked: str
    business_id: int | None
    region_code: str | None


class TokenOut(Schema):
    token: str
    user: UserOut


class Accepted(Schema):
    detail: str


def user_out(user) -> dict:
    return {
        "id": user.pk, "role": user.role, "username": user.username, "display_name": user.display_name,
        "phone_masked": mask_phone(user.phone), "business_id": user.business_id, "region_code": user.region_id,
    }


@router.post("/code", auth=None, response={202: Accepted, **errors(422, 429)},
             summary="Send a one-time sign-in code by SMS")
def send_code(request, payload: CodeIn):
    services.otp_send(phone=payload.phone, ip=client_ip(request))
    return Status(202, {"detail": _("验证码已发送，5分钟内有效")})


@router.post("/token", auth=None, response={200: TokenOut, **errors(401, 403, 422, 429)},
             summary="Sign in: phone + code (consumers, created on first sign-in) or username + password (staff)",
             description="Wrong passwords and wrong codes are throttled per (account, client address): after 5 "
                         "that address cools off for the account (passwords 15 minutes, codes 5 minutes, doubling "
                         "with every further failure, at most 12 hours), and an address has at most 30 wrong tries "
                         "in a rolling 15 minutes whatever the accounts. During a cool-off every attempt from that "
                         "address, even the right one, answers 429 with `Retry-After` (seconds); the account from "
                         "any other address is not affected. The numbers are the defaults (README, Security).")
def create_token(request, payload: TokenIn):
    if payload.phone is not None or payload.code is not None:
        if not payload.phone:
            raise invalid("phone", _("必填"))
        if not payload.code:
            raise invalid("code", _("必填"))
        user = services.otp_verify(phone=payload.phone, code=payload.code, ip=client_ip(request))
    else:
        if not payload.username:
            raise invalid("username", _("必填"))
        if not payload.password:
            raise invalid("password", _("必填"))
        user = services.password_authenticate(username=payload.username, password=payload.password,
                                              ip=client_ip(request))
    return {"token": services.token_create(user=user, label="api"), "user": user_out(user)}


@router.delete("/token", response={204: None, **errors(401)}, summary="Revoke the token of this request")
def revoke_token(request):
    raw = request.headers.get("Authorization", "").partition(" ")[2].strip()
    services.token_revoke(user=request.auth, raw=raw)
    return Status(204, None)


@router.get("/me", response={200: UserOut, **errors(401)}, summary="Who this token belongs to")
def me(request):
    return user_out(request.auth)
