from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "hejie.standards"
    label = "standards"
    verbose_name = "服务标准 service standards"
