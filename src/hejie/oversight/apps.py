from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "hejie.oversight"
    label = "oversight"
    verbose_name = "Council oversight"
