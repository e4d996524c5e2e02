"""The Celery application (production background work).

    CELERY_BROKER_URL=redis://localhost:6379/0 celery -A hejie worker -B

runs the workers and, with ``-B``, Celery beat, which sends the sweep task
(``hejie.sweep``) every ``HEJIE_SWEEP_INTERVAL_SECONDS``: the schedule is
``CELERY_BEAT_SCHEDULE`` in the settings. Each installed app's ``tasks``
module is discovered when a worker starts. The task functions call the same
services the embedded default runs in-process; services send tasks by name
(``hejie.core.background.enqueue``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")

app = Celery("hejie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
