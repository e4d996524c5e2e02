"""The public pages (no sign-in): directory, business profile, black and red lists, open data."""

from django.urls import path

from hejie.web.public import views

urlpatterns = [
    path("businesses/", views.directory, name="directory"),
    path("businesses/<id:business_id>/", views.business, name="business"),
    path("blacklist/", views.blacklist, name="blacklist"),
    path("blacklist/<id:entry_id>/", views.blacklist_entry, name="blacklist-entry"),
    path("redlist/", views.redlist, name="redlist"),
    path("redlist/<id:entry_id>/", views.redlist_entry, name="redlist-entry"),
    path("open-data/", views.open_figures, name="open-data"),
    path("open-data/complaints.csv", views.open_data_csv, name="open-data-csv"),
]
