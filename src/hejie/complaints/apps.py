from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "hejie.complaints"
    label = "complaints"

    def ready(self):
        from hejie.complaints import events, figures, notices

        events.register(events.Stage.FIGURES, figures.consume)
        events.register(events.Stage.NOTICES, notices.consume)
