"""Time rules at their exact boundaries, with a travelling clock."""

import datetime as dt

import pytest

from hejie.complaints import services as svc
from hejie.complaints.models import Complaint, Urge
from hejie.core.errors import Conflict
from hejie.ops.sweep import sweep
from tests.conftest import T0

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
S = dt.timedelta(seconds=1)


def settle_at(traveller, complaint, staff, consumer, elapsed):
    # the offer comes an hour before the acceptance (an offer waits at most 7 days)
    traveller.move_to(T0 + max(elapsed - H, dt.timedelta(0)))
    proposal = svc.proposal_make(actor=staff, complaint=complaint, terms="全额退款", amount="38")
    traveller.move_to(T0 + elapsed)
    svc.proposal_accept(actor=consumer, complaint=complaint, proposal_id=proposal.pk)
    return Complaint.objects.get(pk=complaint.pk)


@pytest.mark.parametrize(
    ("elapsed", "stars", "points"),
    [
        (23 * H + 59 * dt.timedelta(minutes=1) + 59 * S, 5, 10),
        (24 * H, 5, 10),
        (24 * H + S, 4, 8),
        (3 * D, 4, 8),
        (3 * D + S, 3, 6),
        (7 * D, 3, 6),
        (7 * D + S, 2, 4),
        (14 * D, 2, 4),
    ],
)
def test_score_tiers_at_their_boundaries(delivered, traveller, staff, consumer, elapsed, stars, points):
    c = settle_at(traveller, delivered, staff, consumer, elapsed)
    assert (c.state, c.stars, c.credit_points) == ("settled", stars, points)


def test_the_earlier_of_silence_and_day_14_decides(delivered, traveller, staff):
    # an offer on day 2 waits until day 9: the consumer's silence ends the case first
    traveller.move_to(T0 + 2 * D)
    svc.proposal_make(actor=staff, complaint=delivered, terms="退款", amount="38")
    traveller.move_to(T0 + 20 * D)
    sweep()
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.state == "unresponsive" and c.outcome_at == T0 + 20 * D


def test_day_14_plus_one_second_unsettled_fails(delivered, traveller):
    traveller.move_to(T0 + 14 * D)
    report = sweep()
    assert Complaint.objects.get(pk=delivered.pk).state == "delivered"
    assert report.actions["failed"] == 0
    traveller.move_to(T0 + 14 * D + S)
    report = sweep()
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.state == "failed" and (c.stars, c.credit_points) == (0, 0)
    assert report.actions["failed"] == 1
    assert c.events.filter(type="expire", side="system").count() == 1


def test_accepting_after_day_14_is_too_late_even_before_the_sweep(delivered, traveller, staff, consumer):
    traveller.move_to(T0 + 13 * D)
    proposal = svc.proposal_make(actor=staff, complaint=delivered, terms="退款", amount="38")
    traveller.move_to(T0 + 14 * D + S)
    with pytest.raises(Conflict):
        svc.proposal_accept(actor=consumer, complaint=delivered, proposal_id=proposal.pk)
    # the failure the sweep would have recorded stands, though the accept was refused
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.state == "failed" and c.outcome_at == T0 + 14 * D + S


def test_accepting_at_exactly_day_14_still_settles(delivered, traveller, staff, consumer):
    c = settle_at(traveller, delivered, staff, consumer, 14 * D)
    assert c.state == "settled" and c.stars == 2


def test_first_response_due_and_automatic_urges(delivered, traveller, staff):
    assert delivered.respond_by == T0 + 24 * H
    traveller.move_to(T0 + 24 * H)
    assert sweep().actions["urged"] == 0
    traveller.move_to(T0 + 24 * H + S)
    assert sweep().actions["urged"] == 1
    urge = Urge.objects.get(complaint=delivered)
    assert (urge.kind, urge.reason) == ("auto", "no_response")
    # the business answers; the day-7 urge about settlement still comes, the day-12 one too
    svc.message_post(actor=staff, complaint=delivered, body="收到")
    traveller.move_to(T0 + 7 * D + S)
    assert sweep().actions["urged"] == 1
    traveller.move_to(T0 + 12 * D + S)
    assert sweep().actions["urged"] == 1
    assert list(Urge.objects.filter(complaint=delivered).values_list("reason", flat=True)) == [
        "no_response", "unsettled", "unsettled"]


def test_no_response_urge_is_skipped_once_the_business_answered(delivered, traveller, staff):
    svc.message_post(actor=staff, complaint=delivered, body="收到，核实中")
    traveller.move_to(T0 + 2 * D)
    assert sweep().actions["urged"] == 0
    assert not Urge.objects.exists()


def test_a_sweeper_that_was_down_sends_only_the_latest_urge(delivered, traveller):
    traveller.move_to(T0 + 12 * D + H)
    assert sweep().actions["urged"] == 1
    assert Urge.objects.get(complaint=delivered).note.startswith("送达已超过12天")


def test_consumer_silence_closes_as_unresponsive_after_reminders(delivered, traveller, staff, consumer):
    traveller.move_to(T0 + H)
    proposal = svc.proposal_make(actor=staff, complaint=delivered, terms="退款", amount="38")
    assert proposal.reply_by == T0 + H + 7 * D
    traveller.move_to(T0 + H + 72 * H)
    assert sweep().actions["reminded"] == 1
    traveller.move_to(T0 + H + 144 * H)
    assert sweep().actions["reminded"] == 1
    traveller.move_to(T0 + H + 7 * D)
    sweep()
    assert Complaint.objects.get(pk=delivered.pk).state == "negotiating"
    traveller.move_to(T0 + H + 7 * D + S)
    assert sweep().actions["unresponsive"] == 1
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.state == "unresponsive" and c.stars is None  # not held against the business
    assert c.business.rated_cases == 0


def test_rejecting_an_offer_stops_the_silence_clock(delivered, traveller, staff, consumer):
    p = svc.proposal_make(actor=staff, complaint=delivered, terms="退一半", amount="19")
    svc.proposal_reject(actor=consumer, complaint=delivered, proposal_id=p.pk)
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.consumer_reply_by is None and c.next_deadline_at == c.next_urge_at + dt.timedelta(microseconds=1)


def test_policy_change_applies_to_new_deliveries(traveller, file_complaint, staff):
    from hejie.complaints.models import Policy

    Policy.objects.filter(pk=1).update(settle_days=10, first_response_hours=12)
    c = file_complaint()
    assert c.settle_by == T0 + 10 * D and c.respond_by == T0 + 12 * H


def test_times_are_stored_in_utc(delivered):
    assert delivered.delivered_at.utcoffset() == dt.timedelta(0)
