"""Bearer tokens. ``request.auth`` is the signed-in user (or AnonymousUser on
public operations that also accept anonymous callers)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from ninja.security import HttpBearer

from hejie.accounts.services import token_authenticate


class BearerAuth(HttpBearer):
    openapi_description = "API token from POST /api/v1/auth/token, sent as `Authorization: Bearer <token>`"

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class OptionalBearerAuth(BearerAuth):
    """Anonymous callers pass as AnonymousUser; a token, if sent, must be valid."""

    def __call__(self, request):
        header = request.headers.get(self.header)
        if not header:
            return AnonymousUser()
        return super().__call__(request)


bearer = BearerAuth()
optional_bearer = OptionalBearerAuth()
