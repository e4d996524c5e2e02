"""Events are the single fact: the consumers run in a fixed order over the events of
each unit of work, and an order changed through the API, the web pages or the sweep
leaves the figures, the rating, the list candidates, the notices and the webhooks
exactly where the recount and the per-order rules put them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from hejie.businesses.models import Business
from hejie.complaints import events, figures, services
from hejie.complaints.events import EventType, Stage
from hejie.complaints.models import Complaint, ComplaintEvent
from hejie.complaints.services import orders
from hejie.complaints.states import TABLE
from hejie.notifications.models import Notification
from hejie.ops.sweep import sweep
from hejie.ratings.models import BlacklistEntry
from tests.api.conftest import Api
from tests.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def zh(django_app_client):
    return django_app_client


@pytest.fixture
def django_app_client():
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="zh-CN")


def test_the_consumers_run_in_one_fixed_order():
    assert [(c.stage, c.name) for c in events.consumers()] == [
        (Stage.FIGURES, "hejie.complaints.figures.consume"),
        (Stage.RATINGS, "hejie.ratings.services.follow_events"),
        (Stage.LISTS, "hejie.ratings.services.follow_failures"),
        (Stage.NOTICES, "hejie.complaints.notices.consume"),
        (Stage.WEBHOOKS, "hejie.webhooks.services.enqueue_for_events"),
    ]


def test_a_stage_takes_one_consumer():
    with pytest.raises(RuntimeError, match="already has a consumer"):
        events.register(Stage.FIGURES, lambda batch: None)


def test_every_state_changing_action_has_an_event_type():
    assert {a for a, rule in TABLE.items() if rule.to is not None} - {"deliver", "queue"} <= set(EventType.values)


def test_an_event_outside_a_unit_of_work_is_refused(delivered):
    with transaction.atomic(), pytest.raises(RuntimeError, match="no unit of work"):
        orders._event(delivered, EventType.RATED, actor=None, side="system", now=T0)


def test_the_event_type_is_a_checked_choice(delivered):
    event = delivered.events.get()
    assert event.type == EventType.SUBMITTED
    assert event.get_type_display() == "提交投诉"


def test_consumers_see_nothing_of_a_unit_that_rolled_back(delivered, staff, monkeypatch):
    seen = []
    monkeypatch.setitem(events._consumers, Stage.RATINGS, events.Consumer(Stage.RATINGS, "spy", seen.append))
    with pytest.raises(ZeroDivisionError), transaction.atomic(), events.unit():
        services.complaint_refuse(actor=staff, complaint=delivered.pk, reason="不属实")
        1 / 0  # noqa: B018 - the unit ends with an error after the refusal
    assert seen == []
    assert Complaint.objects.get(pk=delivered.pk).state == "delivered"
    services.complaint_refuse(actor=staff, complaint=delivered.pk, reason="不属实")
    (batch,) = seen
    assert [e.type for e in batch.events] == [EventType.REFUSE]


def test_the_sweep_hands_a_batch_to_each_consumer_once(file_complaint, make_user, monkeypatch):
    batches = []
    monkeypatch.setitem(events._consumers, Stage.RATINGS,
                        events.Consumer(Stage.RATINGS, "spy", lambda b: batches.append(list(b.events))))
    with_time = dt.timedelta(days=14, seconds=1)
    with time_machine.travel(T0, tick=False):
        orders = [file_complaint(who=make_user("consumer")) for _ in range(3)]
    batches.clear()
    report = sweep(now=T0 + with_time)
    assert report.actions["failed"] == 3
    (batch,) = batches
    assert sorted(e.complaint_id for e in batch if e.type == EventType.EXPIRE) == sorted(o.pk for o in orders)


def test_api_web_and_sweep_transitions_keep_every_follower_in_step(api, zh, traveller, consumer, business, staff,
                                                                   make_user, council):
    """Filed through the API, settled through the web pages, one refused through the API, two
    ended by the sweep: the figures equal the recount (``hejie figures check``), the rating is
    the one the cases give, the business is a black-list candidate after three failures, and
    every party got the notices the table names."""
    filing = {"business_id": business.pk, "problem_type": "quality", "description": "买的热干面里有异物，要求退款。",
              "claim_type": "refund", "claim_amount": "38.00"}
    people = [consumer, *(make_user("consumer") for _ in range(3))]
    ids = []
    for n, who in enumerate(people):
        r = api.post("/complaints", {**filing, "order_ref": f"R{n}"}, as_=who)
        assert r.status_code == 201, r.content
        ids.append(r.json()["id"])
    call_command("figures", "check")
    # the web pages: the business offers, the consumer accepts
    zh.force_login(staff)
    offered = zh.post(f"/complaints/{ids[0]}/offer/", {"offer_terms": "全额退款 38 元", "offer_amount": "38"})
    assert offered.status_code == 302
    offer = Complaint.objects.get(pk=ids[0]).proposals.get()
    traveller.shift(dt.timedelta(hours=3))
    zh.force_login(consumer)
    assert zh.post(f"/complaints/{ids[0]}/accept/", {"proposal_id": offer.pk}).status_code == 302
    # the API: the business refuses one
    r = api.post(f"/complaints/{ids[1]}/refuse", {"reason": "商品无质量问题"}, as_=staff)
    assert r.status_code == 200, r.content
    call_command("figures", "check")
    # the sweep: the other two fail after 14 days
    traveller.shift(dt.timedelta(days=14))
    report = sweep()
    assert report.actions["failed"] == 2
    call_command("figures", "check")

    states = dict(Complaint.objects.values_list("pk", "state"))
    assert [states[i] for i in ids] == ["settled", "failed", "failed", "failed"]
    business = Business.objects.get(pk=business.pk)
    assert business.rated_cases == 4
    # (5 × 6 + 10 + 0 + 0 + 0) / (5 + 4), as the rating's rule says
    assert str(business.credit_index) == "4.44"
    # as the per-order rule has it: the first case that was never taken up makes the candidate,
    # the next failure joins it (the batch's later failure is not counted ahead of its turn)
    entry = BlacklistEntry.objects.get(business=business)
    assert (entry.status, entry.rule) == ("candidate", "never_took_up")
    assert set(entry.cases.values_list("pk", flat=True)) == set(ids[2:])
    kinds = list(Notification.objects.filter(user=staff).order_by("pk").values_list("event", flat=True))
    assert kinds.count("delivered") == 4 and kinds.count("settled") == 1 and kinds.count("failed") == 3
    assert list(Notification.objects.filter(user=council, event="blacklist_candidate").values_list(
        "complaint_id", flat=True)) == [ids[2]]
    assert ComplaintEvent.objects.filter(type=EventType.EXPIRE).count() == 2
    assert figures.differences() == []


def test_a_batch_reads_each_business_s_staff_once(file_complaint, make_user, staff, monkeypatch):
    """The sweep fails three orders of one business in one batch: their notices go to the staff,
    read once for the batch, not once per order."""
    from hejie.accounts import access

    calls = []
    real = access.business_staff
    monkeypatch.setattr(access, "business_staff", lambda business_id, **kw: calls.append(business_id)
                        or real(business_id, **kw))
    with time_machine.travel(T0, tick=False):
        orders = [file_complaint(who=make_user("consumer")) for _ in range(3)]
    calls.clear()
    report = sweep(now=T0 + dt.timedelta(days=14, seconds=1))
    assert report.actions["failed"] == 3
    assert calls == [staff.business_id]
    for order in orders:
        assert Notification.objects.filter(user=staff, complaint=order, event="failed").count() == 1
