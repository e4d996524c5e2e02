"""The complaints app's scheduled jobs, as Celery beat sends them (CELERY_BEAT_SCHEDULE)."""

import datetime as dt
import logging

import pytest
import time_machine

from hejie.complaints import drafts
from hejie.complaints.models import Complaint, ComplaintDraft
from hejie.complaints.states import State
from hejie.complaints.tasks import drafts_purge_task, figures_check_task

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)


def test_the_purge_task_deletes_old_drafts_and_twice_is_the_same(consumer, make_user):
    with time_machine.travel(T0, tick=False) as t:
        drafts.draft_update(consumer=consumer, step="claim", values={"claim_type": "apology"})
        t.shift(dt.timedelta(days=25))
        recent = make_user("consumer")
        drafts.draft_update(consumer=recent, step="claim", values={"claim_type": "apology"})
        t.shift(dt.timedelta(days=5, seconds=1))
        assert drafts_purge_task() == 1
        assert drafts_purge_task() == 0
    assert list(ComplaintDraft.objects.values_list("consumer_id", flat=True)) == [recent.pk]


def test_the_figures_check_task_logs_a_difference_as_an_error(file_complaint, caplog):
    with time_machine.travel(T0, tick=False):
        order = file_complaint()
    with caplog.at_level(logging.INFO, logger="hejie.complaints"):
        assert figures_check_task() == 0
        Complaint.objects.filter(pk=order.pk).update(state=State.WITHDRAWN)  # a write that bypasses the figures
        found = figures_check_task()
    assert found > 0
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == found and all(m.startswith("daily figures differ from the orders") for m in errors)
