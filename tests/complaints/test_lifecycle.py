import datetime as dt
from decimal import Decimal

import pytest

from hejie.businesses.models import Business
from hejie.complaints import services as svc
from hejie.complaints.models import Complaint, ComplaintEvent, Proposal
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from hejie.notifications.models import Notification
from tests.conftest import T0


def test_submit_to_active_business_delivers_and_starts_the_clock(delivered, staff):
    c = delivered
    assert c.state == "delivered"
    assert c.delivered_at == T0
    assert c.respond_by == T0 + dt.timedelta(hours=24)
    assert c.settle_by == T0 + dt.timedelta(days=14)
    assert c.number.startswith("HB-20260315-")
    assert c.region_l2 == "420100" and c.region_l3 == "420102"
    assert list(c.events.values_list("type", "state_to")) == [("submitted", "delivered")]
    assert Notification.objects.filter(user=staff, event="delivered", complaint=c).exists()


def test_order_numbers_count_per_province_and_day(traveller, file_complaint, make_user):
    a = file_complaint(order_ref="A1")
    b = file_complaint(make_user(), order_ref="A1")
    assert int(b.number.rsplit("-", 1)[1]) == int(a.number.rsplit("-", 1)[1]) + 1


def test_submit_against_inactive_business_goes_to_the_council_queue(traveller, file_complaint, make_business):
    pending = make_business(status="applied")
    c = file_complaint(biz=pending)
    assert c.state == "pending_review" and c.delivered_at is None and c.next_deadline_at is None
    assert c.review_reason == "business_applied"


def test_submit_against_a_business_not_on_the_platform(traveller, consumer, council):
    c = svc.complaint_submit(
        consumer=consumer, business_name="某健身房", region_code="420106", problem_type="prepaid_card",
        description="健身房关门跑路，预付卡余额无法退还。", claim_type="refund", claim_amount=2000,
    )
    assert c.state == "pending_review" and c.business is None and c.region_l2 == "420100"
    assert Notification.objects.filter(user=council, event="queued").exists()
    # the council (of Wuhan) rejects it with a reason
    svc.complaint_reject(actor=council, complaint=c, reason="不属于消费纠纷")
    c.refresh_from_db()
    assert c.state == "rejected" and c.closing_reason == "不属于消费纠纷"


def test_council_forwards_a_queued_order_to_a_business_that_joined(traveller, file_complaint, make_business, council,
                                                                   make_user):
    biz = make_business(status="applied")
    c = file_complaint(biz=biz)
    Business.objects.filter(pk=biz.pk).update(status="active")
    make_user("business", business=biz)
    traveller.shift(dt.timedelta(hours=2))
    c = svc.complaint_forward(actor=council, complaint=c, business_id=biz.pk, note="商户已入驻")
    assert c.state == "delivered" and c.delivered_at == T0 + dt.timedelta(hours=2)
    assert c.settle_by == c.delivered_at + dt.timedelta(days=14)
    assert c.next_deadline_at is not None


def test_council_forwards_externally(traveller, consumer, council):
    c = svc.complaint_submit(consumer=consumer, business_name="外地商户", region_code="420102",
                             problem_type="other", description="网购商品与描述不符，商家不理。", claim_type="apology")
    c = svc.complaint_forward(actor=council, complaint=c, external="12315")
    assert c.state == "rejected" and c.forwarded_to == "12315"


def test_duplicate_open_complaint_on_the_same_matter_is_refused(delivered, file_complaint):
    with pytest.raises(Conflict) as e:
        file_complaint()
    assert e.value.code == "duplicate" and delivered.number in e.value.message
    # a different matter (another order reference) is fine
    assert file_complaint(order_ref="ORDER-2").state == "delivered"


def test_duplicate_allowed_again_after_the_first_is_closed(delivered, consumer, file_complaint):
    svc.complaint_withdraw(actor=consumer, complaint=delivered)
    assert file_complaint().state == "delivered"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("claim_amount", "-1"),
        ("claim_amount", "99999999999"),
        ("claim_amount", "abc"),
        ("claim_amount", "1.234"),
        ("claim_amount", "NaN"),
        ("purchase_amount", "-5"),
        ("purchase_date", "2099-01-01"),
        ("purchase_date", "not-a-date"),
        ("problem_type", "nonsense"),
        ("claim_type", "money"),
        ("description", "短"),
        ("description", "x" * 5001),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_written(traveller, file_complaint, field, value):
    with pytest.raises(InvalidInput) as e:
        file_complaint(**{field: value})
    assert field in e.value.fields
    assert Complaint.objects.count() == 0 and ComplaintEvent.objects.count() == 0


def test_refund_needs_an_amount(traveller, file_complaint):
    with pytest.raises(InvalidInput) as e:
        file_complaint(claim_amount=None)
    assert "claim_amount" in e.value.fields


def test_unknown_business_store_and_region(traveller, consumer, business, make_business):
    base = dict(problem_type="quality", description="质量问题，要求换货处理。", claim_type="exchange")
    with pytest.raises(InvalidInput) as e:
        svc.complaint_submit(consumer=consumer, business_id=999999, **base)
    assert "business_id" in e.value.fields
    from hejie.businesses.models import Store

    other = make_business()
    store = Store.objects.create(business=other, name="别家门店", region=other.region)
    with pytest.raises(InvalidInput) as e:
        svc.complaint_submit(consumer=consumer, business_id=business.pk, store_id=store.pk, **base)
    assert "store_id" in e.value.fields
    with pytest.raises(InvalidInput) as e:
        svc.complaint_submit(consumer=consumer, business_name="某店", region_code="999999", **base)
    assert "region_code" in e.value.fields


def test_store_routes_the_order_to_the_store_region(traveller, consumer, business):
    from hejie.businesses.models import Store
    from hejie.regions.models import Region

    store = Store.objects.create(business=business, name="宜昌店", region=Region.objects.get(code="420502"))
    c = svc.complaint_submit(consumer=consumer, business_id=business.pk, store_id=store.pk, problem_type="service",
                             description="服务态度恶劣，要求道歉。", claim_type="apology")
    assert (c.region_l2, c.region_l3) == ("420500", "420502")


def test_only_consumers_file(traveller, staff, business):
    with pytest.raises(NotAllowed):
        svc.complaint_submit(consumer=staff, business_id=business.pk, problem_type="quality",
                             description="描述足够长的问题内容。", claim_type="apology")


def test_full_negotiation_to_settlement_and_rating(delivered, consumer, staff, traveller):
    c = delivered
    traveller.shift(dt.timedelta(hours=1))
    svc.message_post(actor=staff, complaint=c, body="您好，我们核实一下。")
    c.refresh_from_db()
    assert c.state == "negotiating" and c.first_response_at == T0 + dt.timedelta(hours=1)
    p1 = svc.proposal_make(actor=staff, complaint=c, terms="退一半", amount="19")
    svc.proposal_reject(actor=consumer, complaint=c, proposal_id=p1.pk, reason="不够",
                        counter_terms="全额退款", counter_amount="38")
    p2 = svc.proposal_make(actor=staff, complaint=c, terms="全额退款", amount="38")
    traveller.shift(dt.timedelta(hours=2))
    svc.proposal_accept(actor=consumer, complaint=c, proposal_id=p2.pk)
    c.refresh_from_db()
    assert c.state == "settled" and (c.stars, c.credit_points) == (5, 10)
    assert c.settled_at == T0 + dt.timedelta(hours=3)
    assert c.next_deadline_at is None
    assert list(c.proposals.values_list("side", "status")) == [
        ("business", "rejected"), ("consumer", "counter"), ("business", "accepted")]
    svc.fulfilment_mark(actor=staff, complaint=c)
    svc.fulfilment_confirm(actor=consumer, complaint=c, fulfilled=True)
    svc.complaint_rate(actor=consumer, complaint=c, satisfaction=5, comment="处理很快")
    c.refresh_from_db()
    assert c.fulfilment == "confirmed" and c.satisfaction == 5
    with pytest.raises(Conflict):
        svc.complaint_rate(actor=consumer, complaint=c, satisfaction=1)
    business = Business.objects.get(pk=c.business_id)
    # one 10-point case shrunk toward the prior 6 with weight 5: (5*6 + 10) / 6
    assert business.credit_index == Decimal("6.67") and business.rated_cases == 1
    types = list(c.events.values_list("type", flat=True))
    assert types == ["submitted", "respond", "message", "proposal", "proposal_rejected", "proposal",
                     "accept", "fulfilment_claimed", "fulfilment_confirmed", "rated"]


def test_a_business_cannot_settle_its_own_complaint(delivered, staff):
    p = svc.proposal_make(actor=staff, complaint=delivered, terms="退款", amount="38")
    with pytest.raises(NotAllowed):
        svc.proposal_accept(actor=staff, complaint=delivered, proposal_id=p.pk)
    assert Proposal.objects.get(pk=p.pk).status == "pending"


def test_a_new_offer_supersedes_the_pending_one(delivered, staff, consumer):
    p1 = svc.proposal_make(actor=staff, complaint=delivered, terms="退一半", amount="19")
    svc.proposal_make(actor=staff, complaint=delivered, terms="全额", amount="38")
    assert Proposal.objects.get(pk=p1.pk).status == "superseded"
    with pytest.raises(Conflict):
        svc.proposal_accept(actor=consumer, complaint=delivered, proposal_id=p1.pk)


def test_business_refusal_fails_the_case_and_costs_it(delivered, staff, consumer):
    svc.complaint_refuse(actor=staff, complaint=delivered, reason="不认可消费者说法")
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.state == "failed" and (c.stars, c.credit_points) == (0, 0)
    assert Business.objects.get(pk=c.business_id).credit_index == Decimal("5.00")  # (5*6 + 0) / 6
    # after a failure the consumer can ask for mediation; the council records the outcome
    svc.mediation_request(actor=consumer, complaint=c, reason="请消委调解")
    assert Complaint.objects.get(pk=c.pk).state == "mediating"


def test_mediation_outcomes(delivered, staff, consumer, council):
    svc.complaint_refuse(actor=staff, complaint=delivered, reason="不同意")
    svc.mediation_request(actor=consumer, complaint=delivered)
    with pytest.raises(NotAllowed):
        svc.mediation_record_outcome(actor=staff, complaint=delivered, outcome="settled", terms="x")
    svc.mediation_record_outcome(actor=council, complaint=delivered, outcome="failed")
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.state == "mediation_failed"
    n = Notification.objects.filter(user=consumer, event="mediation_failed").get()
    assert "12315" in n.body


def test_mediation_request_window(delivered, staff, consumer, traveller):
    svc.complaint_refuse(actor=staff, complaint=delivered, reason="不同意")
    traveller.shift(dt.timedelta(days=30, seconds=1))
    with pytest.raises(Conflict) as e:
        svc.mediation_request(actor=consumer, complaint=delivered)
    assert e.value.code == "too_late"


def test_unfulfilled_settlement_can_go_to_mediation(delivered, staff, consumer):
    p = svc.proposal_make(actor=staff, complaint=delivered, terms="退款", amount="38")
    svc.proposal_accept(actor=consumer, complaint=delivered, proposal_id=p.pk)
    with pytest.raises(Conflict):
        svc.mediation_request(actor=consumer, complaint=delivered)
    svc.fulfilment_confirm(actor=consumer, complaint=delivered, fulfilled=False, note="没收到退款")
    svc.mediation_request(actor=consumer, complaint=delivered)
    assert Complaint.objects.get(pk=delivered.pk).state == "mediating"


def test_withdraw(delivered, consumer, staff):
    svc.complaint_withdraw(actor=consumer, complaint=delivered, reason="已私下解决")
    c = Complaint.objects.get(pk=delivered.pk)
    assert c.state == "withdrawn" and c.stars is None and c.next_deadline_at is None
    with pytest.raises(Conflict):
        svc.message_post(actor=staff, complaint=c, body="还在吗")


def test_someone_elses_order_is_not_found(delivered, make_user, make_business):
    stranger = make_user("consumer")
    other_staff = make_user("business", business=make_business())
    yichang = make_user("council", region="420500")
    for who in (stranger, other_staff, yichang):
        with pytest.raises(NotFound):
            svc.message_post(actor=who, complaint=delivered, body="hello")
    with pytest.raises(NotFound):
        svc.complaint_withdraw(actor=stranger, complaint=delivered)
    assert delivered.events.count() == 1


def test_manual_urge_and_acknowledgement(delivered, council, staff, consumer):
    urge = svc.complaint_urge(actor=council, complaint=delivered, note="请尽快处理")
    assert Notification.objects.filter(user=staff, event="urge").exists()
    with pytest.raises(NotAllowed):
        svc.complaint_urge(actor=staff, complaint=delivered)
    with pytest.raises(NotAllowed):
        svc.complaint_urge(actor=consumer, complaint=delivered)
    with pytest.raises(NotAllowed):
        svc.urge_acknowledge(actor=consumer, urge_id=urge.pk)
    svc.urge_acknowledge(actor=staff, urge_id=urge.pk)
    urge.refresh_from_db()
    assert urge.acknowledged_by == staff and urge.acknowledged_at is not None
    with pytest.raises(Conflict):
        svc.urge_acknowledge(actor=staff, urge_id=urge.pk)


def test_the_timeline_is_append_only(delivered):
    e = delivered.events.first()
    with pytest.raises(TypeError):
        e.save()
    with pytest.raises(TypeError):
        e.delete()
    with pytest.raises(TypeError):
        ComplaintEvent.objects.filter(pk=e.pk).update(type="x")
    with pytest.raises(TypeError):
        ComplaintEvent.objects.filter(pk=e.pk).delete()


@pytest.mark.parametrize("bad", ["有\x00空字符的描述内容很长", "孤立代理\ud800字符的描述内容很长"])
def test_text_that_the_database_cannot_store_is_refused(traveller, file_complaint, bad):
    with pytest.raises(InvalidInput) as e:
        file_complaint(description=bad)
    assert "description" in e.value.fields
