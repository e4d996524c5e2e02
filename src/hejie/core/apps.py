from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as StaticFilesAppConfig


class CoreConfig(AppConfig):
    default = True  # the app "hejie.core"; the staticfiles config below is named in INSTALLED_APPS
    name = "hejie.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from hejie.core.edge import BoundedIdConverter

        # <id:...> in every route that takes a row's id: at most 64 bits, else a 404
        register_converter(BoundedIdConverter, "id")

class StaticFilesConfig(StaticFilesAppConfig):
    """django.contrib.staticfiles, without what no page loads: the source maps and django-ninja's
    ReDoc (the API docs are its Swagger UI). `hejie serve` collects them at every start."""

    default = False
    ignore_patterns = [*StaticFilesAppConfig.ignore_patterns, "*.map", "redoc.standalone.js"]
