"""The clocks on the council's queues (issue 17, item 2): each queue in the caller's jurisdiction by time
left, the overdue first; the children's overdue counts for a parent council; and the sweep's reminder
and urge to the council's own staff, once each, at the exact boundaries.

T0 is Sunday 15 March 2026, 10:00 Shanghai. An order queued then must be reviewed within 7 working
days: its last day is Tuesday 24 March, the deadline midnight starting the 25th; with one working day's
reminder the council is reminded from midnight starting Tuesday the 24th."""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.complaints import services as svc
from hejie.complaints.models import Complaint, Mediation
from hejie.core.clock import SHANGHAI
from hejie.core.errors import NotAllowed
from hejie.notifications.models import ChannelSettings, Delivery, Notification
from hejie.ops.sweep import sweep
from hejie.oversight import clocks
from hejie.ratings import lists
from hejie.ratings.models import BlacklistAppeal, BlacklistEntry
from hejie.workdays import calendar
from tests.api.test_lists import fail_three
from tests.conftest import T0


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def queue_one(consumer, name="不在平台的小店", region="420102"):
    return svc.complaint_submit(consumer=consumer, business_name=name, region_code=region, problem_type="quality",
                                description="买的东西有质量问题，要求退款。", claim_type="refund", claim_amount="10")


@pytest.fixture
def city(make_user):
    """Council staff of 武汉市 (420100): no county council is manned, so the city answers for 江岸区."""
    return make_user("council", region="420100", email="city@example.cn")


@pytest.fixture
def province(make_user):
    return make_user("council", region="420000", email="province@example.cn")


def clock_notices(user=None):
    qs = Notification.objects.filter(event__startswith="council_queue")
    return qs.filter(user=user) if user is not None else qs


# --------------------------------------------------------------------------- the queues


def test_the_review_queue_by_time_left_overdue_first(traveller, consumer, make_user, city):
    first = queue_one(consumer, "第一家")
    traveller.move_to(sh(2026, 3, 20, 9, 0))  # Friday: 7 working days end on Tuesday 31 March
    second = queue_one(make_user(), "第二家")
    traveller.move_to(sh(2026, 3, 25, 0, 0))  # the first order's deadline, to the second
    rows = clocks.council_queue(city, "review")
    assert [r.order for r in rows] == [first, second]
    assert (rows[0].is_overdue, rows[0].overdue, rows[0].left) == (True, 1, 0)  # Wednesday begun
    assert (rows[1].is_overdue, rows[1].overdue, rows[1].left) == (False, 0, 4)  # 26, 27, 30, 31
    assert rows[0].last_day == dt.date(2026, 3, 24)
    traveller.move_to(sh(2026, 3, 24, 23, 59, 59))  # one second before: not yet
    assert [r.is_overdue for r in clocks.council_queue(city, "review")] == [False, False]
    assert clocks.queue_totals(city) == {"review": (2, 0), "mediation": (0, 0), "appeals": (0, 0)}


def test_an_order_waiting_for_a_claim_comes_last_without_a_clock(traveller, consumer, city, make_business,
                                                                  file_complaint):
    waiting = file_complaint(biz=make_business("没有账号的店"))
    queued = queue_one(consumer)
    rows = clocks.council_queue(city, "review")
    assert [(r.order, r.deadline is None, r.left) for r in rows] == [(queued, False, 7), (waiting, True, None)]


def test_the_queues_are_scoped_and_refused_to_everyone_else(traveller, consumer, staff, make_user, city, province,
                                                            partner):
    order = queue_one(consumer)
    assert [r.order for r in clocks.council_queue(province, "review")] == [order]
    assert [r.order for r in clocks.council_queue(make_user("operator"), "review")] == [order]
    assert clocks.council_queue(make_user("council", region="420200"), "review") == []  # 黄石市
    assert clocks.council_queue(make_user("council", region="420111"), "review") == []  # another county
    for refused in (consumer, staff, make_user("partner", partner=partner)):
        for queue in clocks.QUEUES:
            with pytest.raises(NotAllowed):
                clocks.council_queue(refused, queue)
        with pytest.raises(NotAllowed):
            clocks.overdue_by_child(refused)
    with pytest.raises(NotAllowed):  # a region outside the jurisdiction, named
        clocks.council_queue(city, "review", region_code="420200")


def test_mediations_and_appeals_have_their_queues(traveller, delivered, staff, consumer, city, make_user, business):
    svc.complaint_refuse(actor=staff, complaint=delivered, reason="不同意")
    svc.mediation_request(actor=consumer, complaint=delivered)
    [row] = clocks.council_queue(city, "mediation")
    assert row.order == delivered and row.deadline == calendar.add_workdays(T0, 45)
    fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    lists.blacklist_publish(actor=city, entry=entry, reason="三次拒绝和解，整改前公示")
    appeal = lists.blacklist_appeal(actor=staff, entry=entry, text="已全部补偿，请撤销。")
    assert appeal.decide_by == calendar.add_workdays(T0, 15) == sh(2026, 4, 4)  # Friday 3 April
    [row] = clocks.council_queue(city, "appeals")
    assert (row.row, row.order, row.left) == (appeal, None, 15)  # on Sunday all 15 are ahead
    assert clocks.council_queue(make_user("council", region="420200"), "appeals") == []


def test_a_parent_council_sees_its_children_s_overdue_counts(traveller, consumer, make_user, province, city):
    queue_one(consumer, "武汉的店")
    queue_one(make_user(), "黄石的店", region="420202")
    queue_one(make_user(), "还没到期的店", region="420102")
    Complaint.objects.filter(business_name_given="还没到期的店").update(review_by=sh(2026, 4, 30))
    traveller.move_to(sh(2026, 3, 25, 0, 0))
    rows = {r.region.code: r for r in clocks.overdue_by_child(province)}
    assert (rows["420100"].review, rows["420100"].total) == (1, 1)
    assert rows["420200"].review == 1 and rows["420300"].total == 0
    assert clocks.overdue_by_child(province)[0].total == 1
    [hongshan] = [r for r in clocks.overdue_by_child(city) if r.total]
    assert (hongshan.region.code, hongshan.review) == ("420102", 1)
    assert clocks.overdue_by_child(make_user("council", region="420102")) == []  # a county has no children
    traveller.move_to(sh(2026, 3, 24, 23, 59, 59))
    assert not any(r.total for r in clocks.overdue_by_child(province))


# --------------------------------------------------------------------------- the sweep


def test_the_sweep_reminds_then_urges_the_council_once_each(traveller, consumer, city, province, outbox):
    order = queue_one(consumer)
    assert order.review_by == sh(2026, 3, 25)
    traveller.move_to(sh(2026, 3, 23, 23, 59, 59))
    assert sweep().council_clock_notices == 0 and not clock_notices().exists()
    traveller.move_to(sh(2026, 3, 24, 0, 0))  # one working day (the last) remains
    assert sweep().council_clock_notices == 1
    [reminder] = clock_notices()
    assert (reminder.user, reminder.event, reminder.complaint) == (city, "council_queue_due", order)
    assert order.number in reminder.title and "2026-03-24" in reminder.body
    assert sweep().council_clock_notices == 0  # once
    traveller.move_to(sh(2026, 3, 24, 23, 59, 59))
    assert sweep().council_clock_notices == 0
    traveller.move_to(sh(2026, 3, 25, 0, 0))  # the deadline: the council and the one above are urged
    assert sweep().council_clock_notices == 2
    urged = clock_notices().filter(event="council_queue_overdue")
    assert sorted(n.user.region_id for n in urged) == ["420000", "420100"]
    assert "江岸区" in urged.get(user=province).body
    assert sweep().council_clock_notices == 0  # once
    traveller.move_to(sh(2026, 3, 30, 9, 0))
    assert sweep().council_clock_notices == 0 and clock_notices().count() == 3
    # by each person's channels: email by default for this kind
    assert set(Delivery.objects.filter(event__startswith="council_queue").values_list("to", flat=True)) == {
        "city@example.cn", "province@example.cn"}


def test_a_decided_item_is_not_urged_and_an_overdue_one_only_urged(traveller, consumer, make_user, city):
    decided = queue_one(consumer, "已处理的店")
    late = queue_one(make_user(), "已超期的店")
    svc.complaint_reject(actor=city, complaint=decided, reason="不属于受理范围")
    traveller.move_to(sh(2026, 4, 1, 9, 0))  # the first pass after the deadline
    assert sweep().council_clock_notices == 1
    [urge] = clock_notices()
    assert (urge.complaint, urge.event) == (late, "council_queue_overdue")
    late.refresh_from_db()
    assert late.review_reminded_at == late.review_urged_at == sh(2026, 4, 1, 9, 0)


def test_the_person_s_channel_choice_is_kept(traveller, consumer, city):
    ChannelSettings.objects.create(user=city, choices={"council_queue": []})
    queue_one(consumer)
    traveller.move_to(sh(2026, 3, 24, 8, 0))
    assert sweep().council_clock_notices == 1
    assert clock_notices(city).count() == 1  # the notice in the app is always kept
    assert not Delivery.objects.filter(user=city, event__startswith="council_queue").exists()


def test_an_extended_mediation_is_reminded_and_urged_afresh(traveller, delivered, staff, consumer, city):
    svc.complaint_refuse(actor=staff, complaint=delivered, reason="不同意")
    svc.mediation_request(actor=consumer, complaint=delivered)
    mediation = Mediation.objects.get(complaint=delivered)
    traveller.move_to(mediation.decide_by)
    assert sweep().council_clock_notices == 1  # overdue: urged (nobody above the city is manned)
    svc.mediation_extend(actor=city, complaint=delivered, workdays=5, reason="等待检测报告")
    mediation.refresh_from_db()
    assert (mediation.reminded_at, mediation.urged_at) == (None, None)
    traveller.move_to(calendar.remind_from(mediation.decide_by, 1))
    assert sweep().council_clock_notices == 1
    traveller.move_to(mediation.decide_by)
    assert sweep().council_clock_notices == 1
    assert sweep().council_clock_notices == 0
    assert list(clock_notices().values_list("event", flat=True)) == [
        "council_queue_overdue", "council_queue_due", "council_queue_overdue"]


def test_an_appeal_is_urged_when_its_limit_passes(traveller, staff, city, make_user, business):
    fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    lists.blacklist_publish(actor=city, entry=entry, reason="三次拒绝和解，整改前公示")
    appeal = lists.blacklist_appeal(actor=staff, entry=entry, text="已全部补偿，请撤销。")
    traveller.move_to(appeal.decide_by - dt.timedelta(seconds=1))
    sweep()
    assert list(clock_notices().values_list("event", flat=True)) == ["council_queue_due"]
    traveller.move_to(appeal.decide_by)
    sweep()
    urge = clock_notices().get(event="council_queue_overdue")
    assert business.name in urge.title and urge.complaint is None
    assert BlacklistAppeal.objects.get(pk=appeal.pk).urged_at == appeal.decide_by


def test_the_backfill_gives_a_waiting_appeal_its_deadline(traveller, staff, city, make_user, business):
    import importlib

    from django.apps import apps

    fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    lists.blacklist_publish(actor=city, entry=entry, reason="三次拒绝和解，整改前公示")
    appeal = lists.blacklist_appeal(actor=staff, entry=entry, text="已全部补偿，请撤销。")
    BlacklistAppeal.objects.filter(pk=appeal.pk).update(decide_by=None)
    importlib.import_module("hejie.ratings.migrations.0006_appeal_clock_backfill").backfill(apps, None)
    assert BlacklistAppeal.objects.get(pk=appeal.pk).decide_by == calendar.add_workdays(T0, 15) == sh(2026, 4, 4)
