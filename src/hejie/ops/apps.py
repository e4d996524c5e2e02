from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Orchestration at the top of the stack: the demo data, ``hejie serve`` and
    its in-process sweep schedule. It may import any app; no app imports it."""

    name = "hejie.ops"
    label = "ops"
    verbose_name = "Operations"
