"""The operator admin's site: its sign-in (``/admin/login/``) goes through the same password
throttle as every other password sign-in (``services.password_authenticate``; the rule in
``hejie.accounts.throttle``), with the client's address as the project reads it (``client_ip``,
honouring ``HEJIE_TRUSTED_PROXIES``). Over the limit the page answers 429 with ``Retry-After``
and says when to come back."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from hejie.core.errors import DomainError, RateLimited, Unauthenticated
from hejie.core.http import client_ip


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in form, checking the password through the throttle; ``rate_limited`` is the
    refusal when the address had to wait."""

    rate_limited: RateLimited | None = None

    def clean(self) -> dict[str, Any]:
        from hejie.accounts import services  # the services import the models: not at app loading

        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.password_authenticate(
                    username=username, password=password, request=self.request,
                    ip=client_ip(self.request) if self.request is not None else None)
            except RateLimited as exc:
                self.rate_limited = exc
                raise ValidationError(exc.message, code="rate_limited") from None
            except Unauthenticated:
                raise self.get_invalid_login_error() from None
            except DomainError as exc:
                raise ValidationError(exc.message, code=exc.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class HejieAdminSite(admin.AdminSite):
    login_form = ThrottledAdminLoginForm

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        refused = getattr(form, "rate_limited", None)
        if refused is not None:
            response.status_code = refused.status
            response["Retry-After"] = str(refused.retry_after)
        return response

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The front page also says when the holiday calendar lacks a year it should know."""
        from hejie.workdays.admin import warn_missing  # an admin module: not at app loading

        warn_missing(request)
        return super().index(request, extra_context)
