from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "hejie.partners"
    verbose_name = _("合作方与批量入驻")
    default_auto_field = "django.db.models.BigAutoField"
