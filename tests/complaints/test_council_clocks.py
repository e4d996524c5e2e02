"""The council's own clocks on an order: the review deadline set when an order enters the review queue,
the mediation's deadline when it starts, and its one recorded extension (issue 17, item 2). T0 is Sunday
15 March 2026, 10:00 Shanghai: its 7th working day is Tuesday the 24th, its 45th Wednesday 20 May (after
Qingming, Monday 6 April, and Labour Day 1-5 May, with the make-up Saturday 9 May)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from hejie.complaints import services as svc
from hejie.complaints.models import ComplaintEvent, Mediation, Policy
from hejie.core.clock import SHANGHAI
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from hejie.notifications.models import Notification
from hejie.workdays import calendar
from tests.conftest import T0


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def mediating(delivered, staff, consumer):
    svc.complaint_refuse(actor=staff, complaint=delivered, reason="不同意")
    svc.mediation_request(actor=consumer, complaint=delivered, reason="请消委调解")
    return delivered


def test_an_order_queued_for_review_gets_its_deadline(traveller, consumer):
    order = svc.complaint_submit(consumer=consumer, business_name="不在平台的小店", region_code="420102",
                                 problem_type="quality", description="买的东西有质量问题，要求退款。",
                                 claim_type="refund", claim_amount="10")
    assert order.state == "pending_review"
    assert order.review_by == sh(2026, 3, 25) == calendar.add_workdays(T0, 7)


def test_a_delivered_order_and_one_waiting_for_a_claim_have_no_review_clock(traveller, consumer, make_business,
                                                                              file_complaint, delivered):
    assert delivered.review_by is None
    waiting = file_complaint(biz=make_business("没有账号的店"))  # active, but nobody can sign in for it
    assert (waiting.state, waiting.review_reason, waiting.review_by) == ("pending_review", "awaiting_claim", None)


def test_the_review_limit_follows_the_policy(traveller, consumer):
    Policy.objects.filter(pk=1).update(review_workdays=1)
    order = svc.complaint_submit(consumer=consumer, business_name="不在平台的小店", region_code="420102",
                                 problem_type="quality", description="买的东西有质量问题，要求退款。",
                                 claim_type="refund", claim_amount="10")
    assert order.review_by == sh(2026, 3, 17)  # the end of Monday the 16th: Sunday does not count


def test_a_mediation_gets_its_deadline_when_it_starts(mediating):
    mediation = Mediation.objects.get(complaint=mediating)
    assert mediation.decide_by == calendar.add_workdays(T0, 45) == sh(2026, 5, 21)


def test_the_council_extends_a_mediation_once_with_a_reason(mediating, council, consumer, staff):
    mediation = svc.mediation_extend(actor=council, complaint=mediating, workdays="10", reason="双方需补充材料")
    # ten working days after Wednesday 20 May: 21, 22, 25-29 May, 1-3 June
    assert mediation.decide_by == sh(2026, 6, 4) == calendar.extend(sh(2026, 5, 21), 10)
    assert (mediation.extension_workdays, mediation.extension_reason, mediation.extended_by) == (
        10, "双方需补充材料", council)
    event = ComplaintEvent.objects.get(complaint=mediating, type="mediation_extended")
    assert (event.side, event.actor, event.payload["workdays"], event.state_to) == ("council", council, 10, "")
    assert event.payload["decide_by"] == sh(2026, 6, 4).isoformat()
    for party in (consumer, staff):
        assert Notification.objects.filter(user=party, event="mediation_extended", complaint=mediating).exists()
    with pytest.raises(Conflict) as refused:
        svc.mediation_extend(actor=council, complaint=mediating, workdays=5, reason="再延长")
    assert refused.value.code == "already_extended"
    assert Mediation.objects.get(pk=mediation.pk).decide_by == sh(2026, 6, 4)


@pytest.mark.parametrize("workdays", ["0", "-3", "abc", "", None, True, "46", 1.5])
def test_an_extension_is_a_whole_number_of_working_days_within_the_policy(mediating, council, workdays):
    with pytest.raises(InvalidInput) as refused:
        svc.mediation_extend(actor=council, complaint=mediating, workdays=workdays, reason="理由充分")
    assert "workdays" in refused.value.fields
    assert Mediation.objects.get(complaint=mediating).extended_at is None


def test_the_most_an_extension_may_add_is_the_policy_s(mediating, council):
    svc.mediation_extend(actor=council, complaint=mediating, workdays=45, reason="案情复杂")
    assert Mediation.objects.get(complaint=mediating).decide_by == calendar.extend(sh(2026, 5, 21), 45)


def test_an_extension_needs_a_reason(mediating, council):
    with pytest.raises(InvalidInput) as refused:
        svc.mediation_extend(actor=council, complaint=mediating, workdays=5, reason=" ")
    assert "reason" in refused.value.fields


def test_only_the_council_of_the_order_extends_and_only_a_mediation(mediating, delivered, consumer, staff,
                                                                    make_user, file_complaint, make_business,
                                                                    council):
    for party in (consumer, staff):
        with pytest.raises(NotAllowed):
            svc.mediation_extend(actor=party, complaint=mediating, workdays=5, reason="想延长")
    elsewhere = make_user("council", region="420200")  # 黄石市: not this order's jurisdiction
    with pytest.raises(NotFound):
        svc.mediation_extend(actor=elsewhere, complaint=mediating, workdays=5, reason="想延长")
    other_staff = make_user("business", business=(other := make_business("另一家店")))
    negotiating = file_complaint(biz=other, order_ref="X2")
    assert other_staff and negotiating.state == "delivered"
    with pytest.raises(Conflict) as refused:
        svc.mediation_extend(actor=council, complaint=negotiating, workdays=5, reason="想延长")
    assert refused.value.code == "wrong_state"
    assert not ComplaintEvent.objects.filter(type="mediation_extended").exists()


@pytest.mark.parametrize("field", ["review_workdays", "mediation_workdays", "mediation_extension_max_workdays",
                                   "appeal_workdays", "council_reminder_workdays"])
@pytest.mark.parametrize("value", [0, 251])
def test_the_policy_refuses_council_limits_out_of_range(db, field, value):
    policy = Policy(**{field: value})
    with pytest.raises(ValidationError) as refused:
        policy.clean()
    assert field in refused.value.message_dict
    Policy(**{field: 250}).clean()
    Policy(**{field: 1}).clean()


def test_the_backfill_gives_open_items_their_deadlines(mediating, traveller, consumer):
    import importlib

    from django.apps import apps

    queued = svc.complaint_submit(consumer=consumer, business_name="不在平台的小店", region_code="420102",
                                  problem_type="quality", description="买的东西有质量问题，要求退款。",
                                  claim_type="refund", claim_amount="10")
    type(queued).objects.filter(pk=queued.pk).update(review_by=None)
    Mediation.objects.filter(complaint=mediating).update(decide_by=None)
    backfill = importlib.import_module("hejie.complaints.migrations.0011_council_clocks_backfill").backfill
    backfill(apps, None)
    queued.refresh_from_db()
    assert queued.review_by == sh(2026, 3, 25)
    assert Mediation.objects.get(complaint=mediating).decide_by == sh(2026, 5, 21)
