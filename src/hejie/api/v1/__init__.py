"""JSON API v1, mounted at /api/v1/: schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from hejie.api.v1 import errors
from hejie.api.v1.auth import bearer


class UTF8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\u escapes: smaller, and readable in a log."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
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

from hejie.api.v1.routers import auth, businesses, complaints, lists, partners, standards, stats, webhooks  # noqa: E402

api.add_router("/auth", auth.router)
api.add_router("/businesses", businesses.router)
api.add_router("/complaints", complaints.router)
api.add_router("/lists", lists.router)
api.add_router("/partners", partners.router)
api.add_router("/stats", stats.router)
api.add_router("/standards", standards.router)
api.add_router("/webhooks", webhooks.router)
