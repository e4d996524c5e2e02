"""Each audited action writes one record saying who did what to which object, in which
jurisdiction; a refused action writes none."""

from __future__ import annotations

import types

import pytest
from django.contrib import admin
from django.test import RequestFactory

from hejie.accounts.models import User
from hejie.audit.models import AuditRecord
from hejie.businesses import services as biz
from hejie.businesses.models import Business
from hejie.complaints import services as svc
from hejie.complaints.models import Policy
from hejie.core.errors import NotAllowed, NotFound
from hejie.partners import services as partners
from hejie.partners.models import Partner
from hejie.ratings import lists
from hejie.ratings.models import BlacklistEntry
from tests.api.test_lists import fail_three

pytestmark = pytest.mark.django_db


def last(action: str) -> AuditRecord:
    return AuditRecord.objects.filter(action=action).latest("seq")


def test_the_councils_review_decisions(traveller, consumer, council):
    queued = svc.complaint_submit(consumer=consumer, business_name="某健身房", region_code="420106",
                                  problem_type="prepaid_card", description="健身房关门跑路，预付卡余额无法退还。",
                                  claim_type="refund", claim_amount=2000)
    svc.complaint_reject(actor=council, complaint=queued, reason="不属于消费纠纷")
    record = last("complaint.reject")
    assert (record.actor_id, record.role, record.object_type, record.object_id) == (
        council.pk, "council", "complaint", str(queued.pk))
    assert record.jurisdiction == "420106" and record.detail["reason"] == "不属于消费纠纷"
    other = svc.complaint_submit(consumer=consumer, business_name="外地商户", region_code="420102",
                                 problem_type="other", description="网购商品与描述不符，商家不理。",
                                 claim_type="apology")
    svc.complaint_forward(actor=council, complaint=other, external="12315")
    assert last("complaint.forward_external").detail["to"] == "12315"
    # the consumer's own steps are on the timeline, not in the audit trail
    assert not AuditRecord.objects.filter(actor_id=consumer.pk).exists()


def test_a_refused_decision_leaves_no_record(traveller, consumer, make_user):
    queued = svc.complaint_submit(consumer=consumer, business_name="某健身房", region_code="420106",
                                  problem_type="prepaid_card", description="健身房关门跑路，预付卡余额无法退还。",
                                  claim_type="refund", claim_amount=2000)
    yichang = make_user("council", region="420500")
    with pytest.raises((NotFound, NotAllowed)):  # outside its jurisdiction
        svc.complaint_reject(actor=yichang, complaint=queued, reason="不属于消费纠纷")
    assert not AuditRecord.objects.exists()


def test_business_decisions_and_suspensions(make_business, council, make_user):
    applied = make_business(status="applied")
    biz.business_approve(actor=council, business=applied)
    biz.business_suspend(actor=council, business=applied, reason="多次拒不处理投诉")
    biz.business_reactivate(actor=council, business=applied)
    refused = make_business(status="applied")
    biz.business_refuse(actor=council, business=refused, reason="资料不实")
    actions = list(AuditRecord.objects.order_by("seq").values_list("action", "object_id"))
    assert actions == [("business.approve", str(applied.pk)), ("business.suspend", str(applied.pk)),
                       ("business.reactivate", str(applied.pk)), ("business.refuse", str(refused.pk))]
    assert last("business.suspend").detail["reason"] == "多次拒不处理投诉"
    with pytest.raises(NotAllowed):
        biz.business_suspend(actor=make_user("council", region="420500"), business=applied, reason="外地的消委")
    assert AuditRecord.objects.count() == 4


def test_staff_changes(business, make_user):
    admin_user = make_user("business", business=business, is_business_admin=True)
    member, _ = biz.staff_invite(actor=admin_user, business=business, username="clerk1", display_name="小王")
    biz.staff_set_admin(actor=admin_user, business=business, user_id=member.pk, is_admin=True)
    biz.staff_reset_password(actor=admin_user, business=business, user_id=member.pk)
    biz.staff_remove(actor=admin_user, business=business, user_id=member.pk)
    rows = list(AuditRecord.objects.order_by("seq").values_list("action", "object_id", "actor_id"))
    assert rows == [(a, str(member.pk), admin_user.pk) for a in
                    ("staff.invite", "staff.set_admin", "staff.reset_password", "staff.remove")]
    assert last("staff.invite").detail == {"business_id": business.pk, "username": "clerk1", "is_admin": False}


def test_partner_decisions_and_staff(council, make_user):
    applied = Partner.objects.create(name="外卖平台", kind="platform", region_id="420100", status="applied")
    partners.partner_approve(actor=council, partner=applied)
    operator = make_user("operator")
    partners.partner_staff_add(actor=operator, partner=applied, username="p-staff", password="Corr3ct-horse-battery")
    refused = Partner.objects.create(name="团购平台", kind="platform", region_id="420100", status="applied")
    partners.partner_refuse(actor=council, partner=refused, reason="资质不全")
    assert list(AuditRecord.objects.order_by("seq").values_list("action", flat=True)) == [
        "partner.approve", "partner.staff_add", "partner.refuse"]
    assert last("partner.staff_add").detail["username"] == "p-staff"
    assert last("partner.refuse").jurisdiction == "420100"


def test_list_and_appeal_decisions(traveller, make_user, business, staff, council):
    fail_three(make_user, business, staff)
    entry = BlacklistEntry.objects.get(business=business)
    lists.blacklist_publish(actor=council, entry=entry, reason="三次拒绝和解，整改前公示")
    record = last("list.decision")
    assert (record.object_type, record.object_id, record.actor_id) == ("blacklist", str(entry.pk), council.pk)
    assert record.detail["decision"] == "publish" and record.jurisdiction == business.region_id
    appeal = lists.blacklist_appeal(actor=staff, entry=entry, text="三件均已补偿消费者。")
    lists.blacklist_appeal_decide(actor=council, appeal=appeal, upheld=True, reason="已整改")
    decided = last("appeal.decision")
    assert decided.object_id == str(appeal.pk) and decided.detail["upheld"] is True
    assert last("list.decision").detail["decision"] == "remove"  # the removal the appeal made


def _fake_form(initial: dict, cleaned: dict) -> types.SimpleNamespace:
    return types.SimpleNamespace(initial=initial, cleaned_data=cleaned, changed_data=list(cleaned))


def test_policy_edits_through_the_admin(make_user):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    request = RequestFactory().post("/admin/")
    request.user = operator
    policy = Policy.objects.get(pk=1)
    before = policy.settle_days
    policy.settle_days = before + 1
    admin.site._registry[Policy].save_model(
        request, policy, _fake_form({"settle_days": before}, {"settle_days": before + 1}), True)
    record = last("policy.edit")
    assert record.actor_id == operator.pk
    assert record.detail["changes"] == {"settle_days": {"from": before, "to": before + 1}}


def test_role_changes_through_the_admin_and_not_other_edits(make_user):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    council = make_user("council", region="420100")
    request = RequestFactory().post("/admin/")
    request.user = operator
    user_admin = admin.site._registry[User]
    council.sees_personal_data = True
    user_admin.save_model(request, council, _fake_form({"sees_personal_data": False, "region": "420100"},
                                                       {"sees_personal_data": True}), True)
    record = last("user.change")
    assert (record.object_id, record.jurisdiction) == (str(council.pk), "420100")
    assert record.detail["changes"] == {"sees_personal_data": {"from": False, "to": True}}
    council.display_name = "张三"
    user_admin.save_model(request, council, _fake_form({"display_name": ""}, {"display_name": "张三"}), True)
    assert AuditRecord.objects.filter(action="user.change").count() == 1  # a name is not a right


def test_business_status_is_unchanged_when_the_record_cannot_be_written(make_business, council, monkeypatch):
    """The record is written in the decision's transaction: no decision without its record."""
    applied = make_business(status="applied")

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(biz, "audit_record", broken)
    with pytest.raises(RuntimeError):
        biz.business_approve(actor=council, business=applied)
    assert Business.objects.get(pk=applied.pk).status == "applied"
