"""The daily figures follow every change of an order through the services, to
the same rows a recount gives; their day, 24-hour and bin edges are exact; a
write that bypasses them is found by the check and put right by a rebuild."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command

from hejie.complaints import figures, services
from hejie.complaints.models import Complaint, DayBusinessFigures, DayFigures, DaySettleTimes
from hejie.complaints.states import State
from hejie.core import clock
from hejie.regions.models import Region

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def _rows():
    out = {}
    for model, columns, counted in ((DayFigures, ("node", "day", "industry", "state"),
                                     ("total", "settled", "failed", "within_24h")),
                                    (DaySettleTimes, ("node", "day", "industry", "bin"), ("n",)),
                                    (DayBusinessFigures, ("business_id", "day", "region_id"),
                                     ("total", "settled", "failed"))):
        for row in model.objects.values_list(*columns, *counted):
            values = row[len(columns):]
            if any(values):
                out[(model.__name__, row[:len(columns)])] = values
    return out


def _state_counts(node: str) -> dict:
    return {state: total for state, total in
            DayFigures.objects.filter(node=node, total__gt=0).values_list("state", "total")}


def test_an_order_counts_at_each_level_of_its_region(file_complaint, business):
    with time_machine.travel(T0, tick=False):
        order = file_complaint()
    day = dt.date(2026, 3, 15)
    assert business.region.code == "420102"
    for node, level in (("420000", 1), ("420100", 2), ("420102", 3)):
        row = DayFigures.objects.get(node=node, day=day, state=State.DELIVERED)
        assert (row.level, row.industry, row.total, row.settled) == (level, business.industry_id, 1, 0)
    biz = DayBusinessFigures.objects.get(business_id=business.pk)
    assert (biz.day, biz.region_id, biz.total) == (day, order.region_id, 1)
    assert figures.differences() == []


def test_the_life_of_orders_through_the_services_stays_in_step(file_complaint, business, staff, make_user):
    """Settled fast, settled slowly, failed after 14 days, refused, withdrawn, sent for review and
    forwarded: after each step the kept rows are what a recount gives."""
    consumers = [make_user("consumer", phone=f"1390000{i:04d}") for i in range(6)]
    with time_machine.travel(T0, tick=False) as t:
        fast, slow, late, refused, withdrawn = (file_complaint(who=c) for c in consumers[:5])
        queued = services.complaint_submit(consumer=consumers[5], business_name="未入驻的小店", region_code="420102",
                                           problem_type="quality", description="买到的东西坏了，要求退款。",
                                           claim_type="refund", claim_amount="20")
        assert figures.differences() == []
        offer = services.proposal_make(actor=staff, complaint=fast.pk, terms="全额退款", amount="38")
        t.shift(dt.timedelta(hours=2))
        services.proposal_accept(actor=fast.consumer, complaint=fast.pk, proposal_id=offer.pk)
        services.complaint_refuse(actor=staff, complaint=refused.pk, reason="不属实")
        services.complaint_withdraw(actor=withdrawn.consumer, complaint=withdrawn.pk)
        assert figures.differences() == []
        offer = services.proposal_make(actor=staff, complaint=slow.pk, terms="退一半", amount="19")
        t.shift(dt.timedelta(days=3))
        services.proposal_accept(actor=slow.consumer, complaint=slow.pk, proposal_id=offer.pk)
        t.shift(dt.timedelta(days=12))  # past 14 days for the last one
        services.complaint_process_due(complaint=late.pk)
        from hejie.accounts.models import User

        council = User.objects.create(username="council_fig", role="council", region=Region.objects.get(code="420100"))
        services.complaint_forward(actor=council, complaint=queued.pk, business_id=business.pk)
    assert figures.differences() == []
    wuhan = _state_counts("420100")
    assert wuhan == {"settled": 2, "failed": 2, "withdrawn": 1, "delivered": 1}
    row = DayFigures.objects.get(node="420000", state="settled")
    assert (row.settled, row.within_24h) == (2, 1)
    assert row.industry == business.industry_id
    # the forwarded order now counts under its business's industry; it had none while queued
    assert not DayFigures.objects.filter(industry="", total__gt=0).exists()
    # the two settlement times: 2 h and 3 days 2 h, to the nearest tenth of an hour
    assert sorted(DaySettleTimes.objects.filter(node="420102", n__gt=0).values_list("bin", "n")) == [
        (20, 1), (740, 1)]
    assert DayBusinessFigures.objects.get(business_id=business.pk).total == 6


def test_a_rebuild_gives_the_rows_kept_along_the_way(file_complaint, staff, make_user):
    with time_machine.travel(T0, tick=False) as t:
        for i in range(4):
            order = file_complaint(who=make_user("consumer", phone=f"1370000{i:04d}"))
            offer = services.proposal_make(actor=staff, complaint=order.pk, terms="退款", amount="38")
            t.shift(dt.timedelta(hours=7 * i + 1))
            services.proposal_accept(actor=order.consumer, complaint=order.pk, proposal_id=offer.pk)
    kept = _rows()
    written = figures.rebuild()
    assert _rows() == kept
    assert written == {"figures": DayFigures.objects.count(), "times": DaySettleTimes.objects.count(),
                       "business": DayBusinessFigures.objects.count()}


def test_the_filing_day_turns_at_shanghai_midnight(file_complaint, make_user):
    midnight = dt.datetime(2026, 3, 16, tzinfo=clock.SHANGHAI)
    for i, at in enumerate((midnight - dt.timedelta(microseconds=1), midnight)):
        with time_machine.travel(at, tick=False):
            file_complaint(who=make_user("consumer", phone=f"1360000{i:04d}"))
    days = dict(DayFigures.objects.filter(node="420000").values_list("day", "total"))
    assert days == {dt.date(2026, 3, 15): 1, dt.date(2026, 3, 16): 1}


@pytest.mark.parametrize(("took", "within", "bin_"), [
    (dt.timedelta(hours=24), 1, 240),
    (dt.timedelta(hours=24, microseconds=1), 0, 240),
    (dt.timedelta(minutes=3) - dt.timedelta(microseconds=1), 1, 0),
    (dt.timedelta(minutes=3), 1, 1),
])
def test_the_24_hour_and_bin_edges_are_exact(file_complaint, staff, took, within, bin_):
    with time_machine.travel(T0, tick=False) as t:
        order = file_complaint()
        offer = services.proposal_make(actor=staff, complaint=order.pk, terms="退款", amount="38")
        t.move_to(T0 + took)
        services.proposal_accept(actor=order.consumer, complaint=order.pk, proposal_id=offer.pk)
    row = DayFigures.objects.get(node="420102", state="settled")
    assert (row.settled, row.within_24h) == (1, within)
    assert list(DaySettleTimes.objects.filter(n__gt=0).values_list("bin", flat=True).distinct()) == [bin_]
    assert figures.differences() == []


def test_a_save_by_hand_tells_no_event_so_the_figures_do_not_follow_it(file_complaint):
    """The figures follow events, not saves: a change made around the services is found by the
    check, and a rebuild puts it right."""
    with time_machine.travel(T0, tick=False):
        order = file_complaint()
    partial = Complaint.objects.only("pk", "closing_reason").get(pk=order.pk)
    partial.state = State.WITHDRAWN
    partial.save()
    assert _state_counts("420102") == {"delivered": 1}
    assert figures.differences()
    figures.rebuild()
    assert _state_counts("420102") == {"withdrawn": 1}
    assert figures.differences() == []


def test_orders_loaded_in_bulk_are_counted_by_add_orders(business, consumer):
    region = business.region
    orders = [Complaint.objects.create(
        number=f"T-BULK-{n}", consumer=consumer, business=business, region=region, **region.codes(),
        problem_type="quality", description="一件批量写入的测试投诉。", claim_type="apology", matter_key=f"bulk{n}",
        state=state, created_at=T0, delivered_at=T0) for n, state in enumerate((State.DELIVERED, State.WITHDRAWN))]
    assert _state_counts("420000") == {}  # no event: not counted yet
    figures.add_orders(orders)
    assert _state_counts("420000") == {"delivered": 1, "withdrawn": 1}
    assert figures.differences() == []


def test_a_bypassing_write_is_found_by_the_check_and_put_right_by_a_rebuild(file_complaint, capsys):
    with time_machine.travel(T0, tick=False):
        order = file_complaint()
    call_command("figures", "check")
    assert "match" in capsys.readouterr().out
    Complaint.objects.filter(pk=order.pk).update(state=State.WITHDRAWN)
    with pytest.raises(CommandError, match="rebuild"):
        call_command("figures", "check")
    assert "kept" in capsys.readouterr().out
    call_command("figures", "rebuild")
    assert "rebuilt" in capsys.readouterr().out
    assert _state_counts("420102") == {"withdrawn": 1}
    call_command("figures", "check")


def test_a_sweep_batch_writes_its_figures_once_and_forgets_an_order_that_failed(file_complaint, make_user,
                                                                                 monkeypatch):
    """The sweep ends a batch of orders in one transaction and writes their figures at its end (one global
    order of rows: no deadlock with a person's action); an order whose step fails takes its figures with it."""
    from hejie.complaints import sweep as sweeping

    with time_machine.travel(T0, tick=False):
        orders = [file_complaint(who=make_user("consumer", phone=f"1350000{i:04d}")) for i in range(3)]
    real = sweeping._process_due
    broken = orders[1].pk

    def process(complaint, policy, now):
        done = real(complaint, policy, now)  # fails the order (its figures recorded) ...
        if complaint.pk == broken:
            raise RuntimeError("a step that breaks after its writes")  # ... then its savepoint rolls back
        return done

    monkeypatch.setattr(sweeping, "_process_due", process)
    statements = []

    def spy(execute, sql, params, many, context):
        if "INSERT INTO" in sql and "dayfigures" in sql:
            statements.append(many)
        return execute(sql, params, many, context)

    from django.db import connection

    with connection.execute_wrapper(spy):
        report = sweeping.sweep_orders(T0 + dt.timedelta(days=14, seconds=1))
    assert report.errors == 1
    assert _state_counts("420102") == {"failed": 2, "delivered": 1}
    assert len(statements) == 1  # the batch's figures in one statement
    assert figures.differences() == []


def test_the_check_finds_a_row_on_a_day_without_orders(file_complaint):
    with time_machine.travel(T0, tick=False):
        file_complaint()
    assert figures.differences() == []
    DayFigures.objects.create(node="420000", level=1, day=dt.date(2026, 1, 1), industry="", state="failed",
                              total=1, failed=1)
    (line,) = figures.differences()
    assert "2026, 1, 1" in line and "recounted None" in line
