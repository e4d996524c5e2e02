"""The partner's pages: applying, where the application stands, imports and their businesses."""

from django.urls import path

from hejie.web.partners import views

urlpatterns = [
    path("partners/apply/", views.apply, name="partner-apply"),
    path("partners/status/", views.status, name="partner-status"),
    path("partners/imports/", views.imports, name="partner-imports"),
    path("partners/imports/<id:batch_id>/", views.import_detail, name="partner-import"),
    path("partners/imports/<id:batch_id>/commit/", views.import_commit, name="partner-import-commit"),
    path("partners/imports/<id:batch_id>/reset/", views.import_reset, name="partner-import-reset"),
    path("partners/businesses/", views.businesses, name="partner-businesses"),
    path("partners/businesses/<id:business_id>/remind/", views.business_remind, name="partner-business-remind"),
]
