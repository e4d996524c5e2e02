"""Who sees which orders: one queryset rule, tested from the side of the refused."""

import pytest

from hejie.complaints.models import Complaint
from hejie.complaints.selectors import complaint_get_for
from hejie.core.errors import NotFound


@pytest.fixture
def orders(traveller, make_business, make_user):
    wuhan_biz = make_business(region="420102")
    yichang_biz = make_business(region="420502")
    consumer = make_user("consumer")
    from hejie.complaints import services as svc

    base = dict(problem_type="quality", description="质量问题，要求退款处理。", claim_type="refund", claim_amount=10)
    a = svc.complaint_submit(consumer=consumer, business_id=wuhan_biz.pk, **base)
    b = svc.complaint_submit(consumer=make_user("consumer"), business_id=yichang_biz.pk, **base)
    return {"wuhan": a, "yichang": b, "consumer": consumer, "wuhan_biz": wuhan_biz, "yichang_biz": yichang_biz}


def visible(user):
    return set(Complaint.objects.visible_to(user).values_list("number", flat=True))


def test_consumers_see_their_own(orders, make_user):
    assert visible(orders["consumer"]) == {orders["wuhan"].number}
    assert visible(make_user("consumer")) == set()


def test_business_staff_see_what_was_delivered_to_their_business(orders, make_user):
    from hejie.complaints import services as svc

    staff = make_user("business", business=orders["yichang_biz"])
    # filed before the business had an account: it waits for the claim in the council's queue
    assert orders["yichang"].state == "pending_review" and visible(staff) == set()
    later = svc.complaint_submit(consumer=make_user("consumer"), business_id=orders["yichang_biz"].pk,
                                 problem_type="quality", description="质量问题，要求退款处理。", claim_type="refund",
                                 claim_amount=10)
    assert later.state == "delivered" and visible(staff) == {later.number}


def test_council_sees_its_subtree_only(orders, make_user):
    assert visible(make_user("council", region="420000")) == {orders["wuhan"].number, orders["yichang"].number}
    assert visible(make_user("council", region="420100")) == {orders["wuhan"].number}
    assert visible(make_user("council", region="420102")) == {orders["wuhan"].number}
    assert visible(make_user("council", region="420103")) == set()
    assert visible(make_user("council", region="430000")) == set()  # Hunan


def test_a_wuhan_council_member_cannot_open_a_yichang_order(orders, make_user):
    wuhan = make_user("council", region="420100")
    with pytest.raises(NotFound):
        complaint_get_for(wuhan, orders["yichang"].pk)
    assert complaint_get_for(wuhan, orders["wuhan"].pk).number == orders["wuhan"].number


def test_anonymous_and_inactive_see_nothing(orders, make_user):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
    ghost = make_user("consumer", is_active=False)
    assert visible(ghost) == set()
    assert Complaint.objects.visible_to(None).count() == 0


def test_operators_see_everything(orders, make_user):
    assert len(visible(make_user("operator"))) == 2


def test_garbage_ids_are_not_found(orders):
    for bad in ("abc", None, "1; drop table", -1, 10**12):
        with pytest.raises(NotFound):
            complaint_get_for(orders["consumer"], bad)


def test_actions_offered_follow_the_facts_of_the_order(delivered, consumer, staff, council):
    from hejie.complaints import services as svc
    from hejie.complaints.selectors import actions_for, complaint_get_for

    def acts(user):
        return actions_for(user, complaint_get_for(user, delivered.pk))

    assert "accept" not in acts(consumer) and "withdraw" in acts(consumer)
    assert {"propose", "refuse", "message"} <= set(acts(staff)) and "acknowledge_urge" not in acts(staff)
    p = svc.proposal_make(actor=staff, complaint=delivered, terms="退款", amount="38")
    assert {"accept", "reject_proposal"} <= set(acts(consumer))
    svc.complaint_urge(actor=council, complaint=delivered)
    assert "acknowledge_urge" in acts(staff) and "urge" in acts(council)
    svc.proposal_accept(actor=consumer, complaint=delivered, proposal_id=p.pk)
    assert "rate" in acts(consumer) and "request_mediation" not in acts(consumer)
    svc.complaint_rate(actor=consumer, complaint=delivered, satisfaction=5)
    assert "rate" not in acts(consumer)
