"""The Celery application (production background work).

    CELERY_BROKER_URL=redis://localhost:6379/0 celery -A hejie worker -B

runs the workers and, with ``-B``, Celery beat, which calls the sweep every
``HEJIE_SWEEP_INTERVAL_SECONDS``. The task functions are the same ones the
embedded default runs in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")

app = Celery("hejie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["hejie.complaints", "hejie.notifications", "hejie.webhooks"])


@app.on_after_finalize.connect
def _schedule_sweep(sender, **kwargs):
    from django.conf import settings

    sender.add_periodic_task(float(settings.HEJIE_SWEEP_INTERVAL_SECONDS), sender.signature("hejie.sweep"),
                             name="sweep")
