"""Every web page, under the ``web:`` namespace. Each area of the pages keeps its
own views and its ``urlpatterns`` in its module; this file only gathers them."""

from django.urls import path

from hejie.web import account, appeals, auth, complaints, council, filing, notices, partners, public, workbench

app_name = "web"

urlpatterns = [
    path("signin/", auth.signin_phone, name="signin"),
    path("signin/code/", auth.signin_code, name="signin-code"),
    path("signin/staff/", auth.signin_staff, name="signin-staff"),
    path("signout/", auth.signout, name="signout"),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/<int:complaint_id>/", complaints.complaint_detail, name="complaint"),
    *complaints.urlpatterns,
    *filing.urlpatterns,
    *notices.urlpatterns,
    *workbench.urlpatterns,
    *partners.urlpatterns,
    *council.urlpatterns,
    *appeals.urlpatterns,
    *public.urlpatterns,
    *account.urlpatterns,
]
