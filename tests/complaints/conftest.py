import datetime as dt

import pytest
import time_machine

from hejie.complaints import services as svc
from tests.conftest import T0


@pytest.fixture
def traveller():
    """A travelling clock starting at T0 (2026-03-15 10:00 Shanghai), not ticking."""
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.fixture
def file_complaint(consumer, business):
    def file(who=None, biz=None, **extra):
        data = dict(
            problem_type="quality", description="买的热干面里有异物，要求退款。",
            claim_type="refund", claim_amount="38.00", purchase_amount="38.00",
        )
        data.update(extra)
        return svc.complaint_submit(consumer=who or consumer, business_id=(biz or business).pk, **data)

    return file


@pytest.fixture
def delivered(traveller, file_complaint, staff):
    """An order delivered at T0."""
    return file_complaint()


def at(delta: dt.timedelta):
    return T0 + delta
