from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "hejie.regions"
    label = "regions"
