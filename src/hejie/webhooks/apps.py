from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "hejie.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # Register the Celery task with the app even though hejie/celery.py
        # autodiscovers only the complaints and notifications apps.
        from hejie.complaints import events
        from hejie.webhooks import (
            services,
            tasks,  # noqa: F401
        )

        events.register(events.Stage.WEBHOOKS, services.enqueue_for_events)
