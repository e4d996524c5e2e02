from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "hejie.complaints"
    label = "complaints"
