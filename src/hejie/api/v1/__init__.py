"""JSON API v1, mounted at /api/v1/: schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.renderers import JSONRenderer

from hejie.api.v1 import errors
from hejie.api.v1.auth import bearer


class UTF8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\u escapes: smaller, and readable in a log."""

    json_dumps_params = {"ensure_ascii": False}


class HejieAPI(NinjaAPI):
    """The schema says which operations are public: django-ninja would list an operation that also
    takes anonymous callers (``optional_bearer``) as needing a token. There it becomes
    ``[{}, {"BearerAuth": []}]`` (anonymous, or a token), and an operation with no auth says
    ``security: []``, so that a client (and schemathesis) knows what it may call without one."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                security = operation.get("security")
                if not security:
                    operation["security"] = []
                elif security == [{"OptionalBearerAuth": []}]:
                    operation["security"] = [{}, {"BearerAuth": []}]
        schema.get("components", {}).get("securitySchemes", {}).pop("OptionalBearerAuth", None)
        return schema


api = HejieAPI(
    renderer=UTF8JSONRenderer(),
    title="Hejie API",
    version="1",
    description="和解 Hejie: online reconciliation of consumer complaints. Errors always have the shape "
    '`{"error": {"code", "message", "fields"}}`.',
    urls_namespace="api-v1",
    auth=bearer,
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

from hejie.api.v1.routers import (  # noqa: E402
    account,
    audit,
    auth,
    businesses,
    complaints,
    council,
    lists,
    partners,
    reports,
    standards,
    stats,
    webhooks,
)

api.add_router("/audit", audit.router)
api.add_router("/account", account.router)
api.add_router("/auth", auth.router)
api.add_router("/businesses", businesses.router)
api.add_router("/complaints", complaints.router)
api.add_router("/council", council.router)
api.add_router("/lists", lists.router)
api.add_router("/partners", partners.router)
api.add_router("/reports", reports.router)
api.add_router("/stats", stats.router)
api.add_router("/standards", standards.router)
api.add_router("/webhooks", webhooks.router)
