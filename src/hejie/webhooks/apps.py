from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "hejie.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from hejie.complaints import events
        from hejie.webhooks import services

        events.register(events.Stage.WEBHOOKS, services.enqueue_for_events)
