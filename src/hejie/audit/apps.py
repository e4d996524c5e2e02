from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hejie.audit"
    label = "audit"
    verbose_name = "Audit trail (审计记录)"
    default_auto_field = "django.db.models.BigAutoField"
