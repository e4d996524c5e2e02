from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    name = "hejie.businesses"
    label = "businesses"
