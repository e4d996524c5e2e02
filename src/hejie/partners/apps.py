from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "hejie.partners"
    verbose_name = "合作方 partners"
    default_auto_field = "django.db.models.BigAutoField"
