from django.urls import path

from hejie.web import auth, complaints

app_name = "web"

urlpatterns = [
    path("signin/", auth.signin_phone, name="signin"),
    path("signin/code/", auth.signin_code, name="signin-code"),
    path("signin/staff/", auth.signin_staff, name="signin-staff"),
    path("signout/", auth.signout, name="signout"),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/<int:complaint_id>/", complaints.complaint_detail, name="complaint"),
]
