import datetime as dt

import pytest

from hejie.complaints.models import Complaint
from hejie.ops.tasks import sweep_task
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def test_the_sweep_task_runs_the_sweep(delivered, traveller):
    traveller.move_to(T0 + dt.timedelta(days=14, seconds=1))
    assert "failed 1" in sweep_task()
    assert Complaint.objects.get(pk=delivered.pk).state == "failed"
