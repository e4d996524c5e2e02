import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from hejie.complaints import services as svc
from hejie.complaints.models import Complaint, ComplaintEvent
from hejie.complaints.sweep import _due_batch
from hejie.core.errors import Conflict
from hejie.ops.sweep import sweep
from tests.conftest import T0

D = dt.timedelta(days=1)
S = dt.timedelta(seconds=1)


def test_sweep_is_idempotent(traveller, file_complaint, make_user, staff):
    orders = [file_complaint(make_user()) for _ in range(5)]
    traveller.move_to(T0 + 14 * D + S)
    first = sweep()
    assert first.actions["failed"] == 5
    events = ComplaintEvent.objects.count()
    second = sweep()
    assert second.examined == 0 and not second.actions
    assert ComplaintEvent.objects.count() == events
    assert all(Complaint.objects.get(pk=o.pk).next_deadline_at is None for o in orders)


def test_sweep_works_in_bounded_batches(traveller, file_complaint, make_user, staff):
    for _ in range(7):
        file_complaint(make_user())
    traveller.move_to(T0 + 14 * D + S)
    report = sweep(batch_size=3)
    assert report.examined == 7 and report.actions["failed"] == 7


def test_sweep_touches_only_due_orders(traveller, file_complaint, make_user, staff):
    due = file_complaint(make_user())
    traveller.move_to(T0 + 14 * D - dt.timedelta(hours=1))
    not_due = file_complaint(make_user())  # delivered an hour ago: nothing due yet
    traveller.move_to(T0 + 14 * D + S)
    report = sweep()
    assert report.examined == 1
    assert Complaint.objects.get(pk=due.pk).state == "failed"
    assert Complaint.objects.get(pk=not_due.pk).state == "delivered"


def test_nothing_due_costs_one_query_through_the_deadline_index(traveller, file_complaint, make_user, staff):
    for _ in range(3):
        file_complaint(make_user())
    with CaptureQueriesContext(connection) as ctx:
        report = sweep()
    assert report.examined == 0
    # (the black-list expiry reads published entries, with an EXISTS over their business's orders; the
    # council's queue clocks read the review queue by review_by and the mediations under way)
    selects = [q["sql"] for q in ctx.captured_queries
               if "complaints_complaint" in q["sql"] and "ratings_blacklistentry" not in q["sql"]
               and "review_by" not in q["sql"].partition("WHERE")[2] and "complaints_mediation" not in q["sql"]]
    assert len(selects) == 1 and "next_deadline_at" in selects[0]


def test_the_due_query_uses_the_partial_index(db):
    if connection.vendor == "postgresql":
        # an empty table is cheaper to scan; ask whether the index can serve the query at all
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
    qs = Complaint.objects.filter(next_deadline_at__lte=T0).order_by("next_deadline_at")[:500]
    plan = qs.explain()
    assert "cmp_next_deadline" in plan, plan


def test_query_count_per_due_order_is_bounded(traveller, file_complaint, make_user, staff):
    for _ in range(4):
        file_complaint(make_user())
    traveller.move_to(T0 + 14 * D + S)
    with CaptureQueriesContext(connection) as ctx4:
        sweep()
    for _ in range(8):
        file_complaint(make_user(), order_ref=str(_))
    traveller.move_to(T0 + 28 * D + 2 * S)
    with CaptureQueriesContext(connection) as ctx8:
        sweep()
    per_order_4 = len(ctx4.captured_queries) / 4
    per_order_8 = len(ctx8.captured_queries) / 8
    # constant work per order (no query grows with the number of orders)
    assert per_order_8 <= per_order_4 + 1, (per_order_4, per_order_8)
    marginal = (len(ctx8.captured_queries) - len(ctx4.captured_queries)) / 4  # what one more due order costs
    assert marginal <= 19, marginal  # 18.25 with the event chain's read of the order's last event


def test_sweep_as_of_a_given_moment_via_the_command(traveller, delivered, capsys):
    from django.core.management import call_command

    call_command("sweep", "--now", (T0 + 14 * D).isoformat())
    assert Complaint.objects.get(pk=delivered.pk).state == "delivered"
    call_command("sweep", "--now", (T0 + 14 * D + S).isoformat())
    assert Complaint.objects.get(pk=delivered.pk).state == "failed"
    assert "failed 1" in capsys.readouterr().out


@pytest.mark.pg_only
def test_consumer_accepting_while_the_sweeper_fails_has_exactly_one_winner(reference_data, make_user, make_business):
    """Two real connections on PostgreSQL: the consumer's accept holds the
    order's row lock while the sweeper tries to fail it. The sweeper skips the
    locked row; after the accept commits, the order is settled and the next
    sweep has nothing to do. Then the other way round."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    import time_machine

    business = make_business()
    consumer = make_user("consumer")
    staff = make_user("business", business=business)
    with time_machine.travel(T0, tick=False) as t:
        c = svc.complaint_submit(consumer=consumer, business_id=business.pk, problem_type="quality",
                                 description="竞争条件测试的投诉内容。", claim_type="refund", claim_amount=10)
        t.move_to(T0 + 13 * D)
        p = svc.proposal_make(actor=staff, complaint=c, terms="退款", amount="10")
        t.move_to(T0 + 14 * D)

        holding = threading.Event()
        release = threading.Event()
        outcome = {}

        def consumer_accepts():
            try:
                from django.db import transaction

                with transaction.atomic():
                    Complaint.objects.select_for_update().get(pk=c.pk)  # the accept's lock, held a while
                    holding.set()
                    release.wait(10)
                    svc.proposal_accept(actor=consumer, complaint=c.pk, proposal_id=p.pk)
                outcome["accept"] = "ok"
            except Exception as exc:  # pragma: no cover - reported below
                outcome["accept"] = repr(exc)
            finally:
                connections.close_all()

        th = threading.Thread(target=consumer_accepts)
        th.start()
        assert holding.wait(10)
        # the sweeper, on its own connection, as of a moment after day 14
        report = sweep(T0 + 14 * D + S)
        assert report.examined == 0  # the locked row was skipped, not waited on nor failed
        release.set()
        th.join(20)
        assert outcome["accept"] == "ok"
        final = Complaint.objects.get(pk=c.pk)
        assert final.state == "settled" and final.stars == 2
        assert sweep(T0 + 14 * D + S).examined == 0

        # the other way round: the sweeper wins, the late accept is refused
        c2 = svc.complaint_submit(consumer=consumer, business_id=business.pk, problem_type="price",
                                  description="第二个竞争条件测试投诉。", claim_type="refund", claim_amount=5)
        t.move_to(T0 + 27 * D)
        p2 = svc.proposal_make(actor=staff, complaint=c2, terms="退款", amount="5")
        assert sweep(T0 + 28 * D + S).actions["failed"] == 1
        t.move_to(T0 + 28 * D + 2 * S)
        with pytest.raises(Conflict):
            svc.proposal_accept(actor=consumer, complaint=c2, proposal_id=p2.pk)
        final2 = Complaint.objects.get(pk=c2.pk)
        assert final2.state == "failed"
        assert final2.events.filter(type__in=["expire", "accept"]).count() == 1


def test_due_batch_never_returns_the_same_order_twice(traveller, delivered):
    traveller.move_to(T0 + 14 * D + S)
    delivered.refresh_from_db()
    assert [c.pk for c in _due_batch(T0 + 14 * D + S, 10, None)] == [delivered.pk]
    assert _due_batch(T0 + 14 * D + S, 10, (delivered.next_deadline_at, delivered.pk)) == []


def test_an_order_whose_step_fails_does_not_stall_the_pass(traveller, file_complaint, make_user, staff,
                                                          monkeypatch):
    from hejie.complaints import sweep as sweep_module

    orders = [file_complaint(make_user()) for _ in range(5)]
    broken = orders[2].pk
    real = sweep_module._process_due

    def flaky(complaint, policy, now):
        if complaint.pk == broken:
            raise RuntimeError("boom")
        return real(complaint, policy, now)

    monkeypatch.setattr(sweep_module, "_process_due", flaky)
    traveller.move_to(T0 + 14 * D + S)
    report = sweep(batch_size=2)
    assert report.errors == 1 and report.actions["failed"] == 4
    assert Complaint.objects.get(pk=broken).state == "delivered"  # rolled back alone, tried again next pass


def test_a_batch_recomputes_each_business_rating_once(traveller, file_complaint, make_user, staff):
    for _ in range(6):
        file_complaint(make_user())
    traveller.move_to(T0 + 14 * D + S)
    with CaptureQueriesContext(connection) as ctx:
        sweep()
    updates = [q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "businesses_business"')]
    assert len(updates) == 1
    from hejie.businesses.models import Business

    assert Business.objects.get(pk=staff.business_id).rated_cases == 6


@pytest.mark.parametrize(("level", "code"), [("region_l1", "420000"), ("region_l2", "420100"), ("region_l3", "420102")])
def test_subtree_queries_use_the_region_indexes(db, level, code):
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
    plan = Complaint.objects.filter(**{level: code, "state": "delivered"}).order_by("-created_at")[:50].explain()
    # either index of the level serves (on a near-empty table the planner may take the newest-first one)
    assert f"cmp_{level[-2:]}_state" in plan or f"cmp_{level[-2:]}_created" in plan, plan
