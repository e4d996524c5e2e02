from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from hejie import views
from hejie.api import hooks
from hejie.api.v1 import api as api_v1
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
    path("hooks/sms/<str:provider>/<str:token>/", hooks.sms_report, name="sms-report"),
    path("files/complaints/<int:complaint_id>/evidence/<int:evidence_id>", files.evidence_file, name="evidence-file"),
    path("files/appeals/<int:appeal_id>/files/<int:file_id>", files.appeal_file, name="appeal-file"),
    path("", include("hejie.web.urls")),
]
