from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language

from hejie import views
from hejie.api import hooks
from hejie.api.v1 import api as api_v1
from hejie.api.v1 import errors as api_errors
from hejie.ops import endpoints
from hejie.web.common import files

urlpatterns = [
    path("", views.home, name="home"),
    # answered by hejie.ops.endpoints.EndpointsMiddleware before the rest of the middleware; here for reverse()
    path("healthz", endpoints.healthz, name="healthz"),
    path("readyz", endpoints.readyz, name="readyz"),
    path("metrics", endpoints.metrics, name="metrics"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
    re_path(r"^api/(?P<rest>.*)$", api_errors.not_found_view, name="api-not-found"),  # JSON 404 under /api/
    path("hooks/sms/<str:provider>/<str:token>/", hooks.sms_report, name="sms-report"),
    path("files/complaints/<id:complaint_id>/evidence/<id:evidence_id>", files.evidence_file, name="evidence-file"),
    path("files/appeals/<id:appeal_id>/files/<id:file_id>", files.appeal_file, name="appeal-file"),
    path("", include("hejie.web.urls")),
]
