"""The Celery application (production background work).

    CELERY_BROKER_URL=redis://localhost:6379/0 celery -A hejie worker
    CELERY_BROKER_URL=redis://localhost:6379/0 celery -A hejie beat     # exactly one per deployment

The workers run the tasks; beat sends the schedule, ``CELERY_BEAT_SCHEDULE`` in the settings
(the sweep, ``hejie.sweep``, every ``HEJIE_SWEEP_INTERVAL_SECONDS``; the draft purge and the
figures check nightly). ``make stack`` runs both as separate processes (``hejie.ops.stack``).
Each installed app's ``tasks`` module is discovered when a worker starts
(``tests/ops/test_tasks_registered.py`` checks every task in the source is). The task
functions call the same services the embedded default runs in-process; services send tasks by
name (``hejie.core.background.enqueue``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")

app = Celery("hejie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
