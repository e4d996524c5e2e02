"""The business's pages: joining, its record and staff (the workbench), and its appeals."""

from django.urls import path

from hejie.web.business import appeals, claim, workbench

urlpatterns = [
    path("join/", workbench.join, name="join"),
    path("claim/<str:token>/", claim.claim, name="claim"),
    path("join/status/", workbench.join_status, name="join-status"),
    path("join/check-code/", workbench.credit_code_check, name="join-check-code"),
    path("join/regions/", workbench.region_options, name="join-regions"),
    path("record/", workbench.record, name="record"),
    path("staff/", workbench.staff, name="staff"),
    path("staff/<id:user_id>/remove/", workbench.staff_remove, name="staff-remove"),
    path("staff/<id:user_id>/admin/", workbench.staff_admin, name="staff-admin"),
    path("staff/<id:user_id>/password/", workbench.staff_password, name="staff-password"),
    path("appeals/", appeals.business_appeals, name="appeals"),
]
