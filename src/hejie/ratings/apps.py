from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "hejie.ratings"
    label = "ratings"

    def ready(self):
        from hejie.complaints import events
        from hejie.ratings import services

        events.register(events.Stage.RATINGS, services.follow_events)
        events.register(events.Stage.LISTS, services.follow_failures)
