from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Orchestration at the top of the stack: the demo data, ``hejie serve`` and
    its in-process sweep schedule, and the operations side (health, request ids,
    metrics, error reports). It may import any app; no app imports it."""

    name = "hejie.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from hejie.core.uploads import upload_temp_clean

        # every process that starts (web, worker, command): the spool folder exists, and the
        # uploads a killed process left in it go (files only, no database touched)
        upload_temp_clean()

        from hejie.ops import metrics, requestid, sentry

        # in the web processes and in the Celery workers alike (Celery's Django fix-up sets Django up)
        requestid.connect_celery()
        metrics.connect_celery()
        sentry.init()
