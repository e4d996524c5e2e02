from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hejie.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from hejie.core.edge import BoundedIdConverter

        # <id:...> in every route that takes a row's id: at most 64 bits, else a 404
        register_converter(BoundedIdConverter, "id")
