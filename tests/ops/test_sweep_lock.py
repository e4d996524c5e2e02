"""A sweep pass does not overlap another: two started at once, one runs and the other is
skipped and says so; a sweeper that died holding the lease blocks the passes only until the
lease expires. Real threads with their own database connections (the lease is a row)."""

import datetime as dt
import logging
import threading

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from hejie.complaints.models import Complaint
from hejie.complaints.services import complaint_submit
from hejie.core import clock
from hejie.core.leases import lease_acquire, lease_holder
from hejie.ops import sweep as sweep_module
from hejie.ops.tasks import sweep_task


@pytest.fixture
def stale_order(reference_data, make_business, make_user):
    consumer = make_user("consumer")
    shop = make_business()
    make_user("business", business=shop)
    with time_machine.travel(clock.now() - dt.timedelta(days=15), tick=False):
        return complaint_submit(consumer=consumer, business_id=shop.pk, problem_type="quality",
                                description="买的热干面里有异物，要求退款。", claim_type="refund", claim_amount="38")


def test_two_sweeps_started_at_once_one_runs_the_other_is_skipped(stale_order, monkeypatch, caplog):
    inside = threading.Event()  # the pass that got the lease is working
    finish = threading.Event()  # ... and may finish
    real = sweep_module.sweep_orders

    def slow_orders(now, **kw):
        inside.set()
        assert finish.wait(90)
        return real(now, **kw)

    monkeypatch.setattr(sweep_module, "sweep_orders", slow_orders)
    start = threading.Barrier(2)
    reports = []

    def run():
        try:
            start.wait(10)
            reports.append(sweep_module.sweep())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    with caplog.at_level(logging.WARNING, logger="hejie.sweep"):
        for t in threads:
            t.start()
        assert inside.wait(60)
        deadline = timezone.now() + dt.timedelta(seconds=60)  # generous: a loaded machine
        while not reports and timezone.now() < deadline:  # the other pass returns while the first works
            threading.Event().wait(0.02)
        [skipped] = reports
        assert skipped.skipped.startswith("another sweep is running")
        assert "skipped: another sweep is running" in str(skipped)
        finish.set()
        for t in threads:
            t.join(90)
    ran = [r for r in reports if not r.skipped]
    assert len(reports) == 2 and len(ran) == 1
    assert ran[0].actions["failed"] == 1
    assert Complaint.objects.get(pk=stale_order.pk).state == "failed"
    assert any("skipped: another sweep is running" in r.getMessage() for r in caplog.records)
    assert lease_holder(sweep_module.LEASE) is None  # released when the pass ended


def test_a_dead_sweepers_lease_expires(stale_order, settings):
    settings.HEJIE_SWEEP_LOCK_SECONDS = 120
    with time_machine.travel(timezone.now(), tick=False) as t:
        assert lease_acquire(sweep_module.LEASE, ttl=sweep_module.lock_ttl())  # its holder dies, never releasing
        report = sweep_task()  # what beat sends
        assert "skipped: another sweep is running" in report
        assert Complaint.objects.get(pk=stale_order.pk).state == "delivered"
        t.shift(dt.timedelta(seconds=120))
        report = sweep_task()
        assert "skipped" not in report and "failed 1" in report
    assert Complaint.objects.get(pk=stale_order.pk).state == "failed"
