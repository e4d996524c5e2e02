from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hejie.core"
    label = "core"
