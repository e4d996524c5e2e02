from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "hejie.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
