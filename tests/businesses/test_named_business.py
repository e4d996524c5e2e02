"""Every business reachable, including one that is not on the platform at all: a consumer names it
with its mobile or its credit code, it becomes an invited record (never public, never rated), the
order waits with its clock stopped, the business is invited by SMS, and the claim makes it an
active business with the order delivered, the clock starting at the claim."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hejie.businesses import claims
from hejie.businesses.models import Business, ClaimInvitation
from hejie.businesses.selectors import business_directory
from hejie.businesses.services import business_apply
from hejie.complaints import services
from hejie.complaints.models import Complaint
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited
from hejie.ops.sweep import sweep
from tests.conftest import T0, make_credit_code

MOBILE = "13977776666"
FILING = dict(problem_type="quality", description="买的热干面里有异物，要求退款。", claim_type="refund",
              claim_amount="38.00", purchase_amount="38.00", region_code="420106")


def _file(consumer, name="巷口烧烤", **extra):
    return services.complaint_submit(consumer=consumer, business_name=name, **{**FILING, **extra})


def _token(outbox) -> str:
    sms = [m for m in outbox if m.kind == "claim" and m.channel == "sms"]
    assert sms, [m.kind for m in outbox]
    match = re.search(r"/claim/([^/\s]+)/", sms[-1].body)
    assert match, sms[-1].body
    return match.group(1)


def _code(outbox) -> str:
    match = re.search(r"\b(\d{6})\b", outbox[-1].body)
    assert match, outbox[-1].body
    return match.group(1)


def test_a_business_named_by_its_mobile_is_invited_and_the_order_waits(
        traveller, django_capture_on_commit_callbacks, consumer, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        order = _file(consumer, business_phone="+86 139-7777-6666")
    business = order.business
    assert business is not None and order.business_name_given == ""
    assert business.status == Business.Status.INVITED and business.name == "巷口烧烤"
    assert business.credit_code is None and business.contact_phone == MOBILE
    assert business.region_id == "420106" and business.industry_id == "other"
    assert order.state == "pending_review" and order.review_reason == "awaiting_claim"
    assert order.delivered_at is None and order.respond_by is None and order.next_deadline_at is None
    assert [m.to for m in outbox if m.kind == "claim"] == [MOBILE]
    assert ClaimInvitation.objects.get(business=business).sends == 1

    # never public, never rated, not in the directory the consumer searches
    assert not business_directory(q="巷口烧烤").filter(pk=business.pk).exists()
    traveller.shift(dt.timedelta(days=20))  # far past every business deadline: nothing can fail or be scored
    sweep()
    order.refresh_from_db()
    business.refresh_from_db()
    assert order.state == "pending_review" and business.rated_cases == 0 and business.credit_index is None


def test_a_second_complaint_naming_the_same_business_joins_the_first_invitation(
        traveller, django_capture_on_commit_callbacks, consumer, make_user, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        first = _file(consumer, business_phone=MOBILE)
        second = _file(make_user("consumer"), name="巷口 烧烤", business_phone=MOBILE)
        code = make_credit_code(region="420106")
        third = _file(make_user("consumer"), name="巷口烧烤", business_phone=MOBILE, business_credit_code=code)
        fourth = _file(make_user("consumer"), name="别的名字", business_credit_code=code.lower())
    assert first.business_id == second.business_id == third.business_id == fourth.business_id
    assert Business.objects.filter(status="invited").count() == 1
    assert Business.objects.get(pk=first.business_id).credit_code == code  # learnt from the third
    assert ClaimInvitation.objects.count() == 1
    assert len([m for m in outbox if m.kind == "claim"]) == 1  # one invitation, sent once

    # a different business with the same mobile (a chain owner's phone) is a record of its own
    with django_capture_on_commit_callbacks(execute=True):
        other = _file(consumer, name="街角奶茶", business_phone=MOBILE)
    assert other.business_id != first.business_id


def test_a_credit_code_on_the_platform_files_against_that_business(
        traveller, django_capture_on_commit_callbacks, consumer, business, staff, make_business, outbox):
    order = _file(consumer, name="随便写的名字", business_credit_code=business.credit_code)
    assert order.business_id == business.pk and order.state == "delivered"
    assert order.respond_by == T0 + dt.timedelta(hours=24)
    assert order.region_id == business.region_id  # the business's place, not the one typed
    suspended = make_business("被暂停的店", status="suspended")
    order = _file(consumer, name="x店", business_credit_code=suspended.credit_code)
    assert order.business_id == suspended.pk and order.review_reason == "business_suspended"
    assert not Business.objects.filter(status="invited").exists()


@pytest.mark.parametrize(("fields", "field", "text"), [
    ({"business_phone": "027-88886666"}, "business_phone", "固定电话"),
    ({"business_phone": "12345"}, "business_phone", "11位手机号"),
    ({"business_credit_code": "91420106MA4K0000X0"}, "business_credit_code", "校验位"),
    ({"business_credit_code": "123"}, "business_credit_code", "18位"),
])
def test_a_bad_mobile_or_credit_code_is_refused_and_nothing_is_made(traveller, consumer, fields, field, text):
    with pytest.raises(InvalidInput) as e:
        _file(consumer, **fields)
    assert set(e.value.fields) == {field} and text in e.value.fields[field]
    assert not Complaint.objects.exists() and not Business.objects.filter(status="invited").exists()


def test_without_a_mobile_or_credit_code_the_council_sends_it_on_as_before(traveller, consumer, outbox):
    order = _file(consumer)
    assert order.business_id is None and order.business_name_given == "巷口烧烤"
    assert order.review_reason == "not_on_platform" and outbox == []


def test_a_refused_filing_leaves_no_invited_record(traveller, django_capture_on_commit_callbacks, consumer, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        _file(consumer, business_phone=MOBILE, order_ref="A1")
    with pytest.raises(Conflict) as e:  # the same matter again: refused, the record found not made
        _file(consumer, business_phone=MOBILE, order_ref="A1")
    assert e.value.code == "duplicate"
    for n in range(services.FILING_LIMIT - 1):
        _file(consumer, order_ref=f"B{n}")
    with pytest.raises(RateLimited):  # refused inside the filing's transaction: no record is left
        _file(consumer, name="另一家店", business_phone="13700001111")
    assert list(Business.objects.filter(status="invited").values_list("name", flat=True)) == ["巷口烧烤"]


def test_the_claim_makes_it_an_active_business_and_delivers_the_orders(
        traveller, django_capture_on_commit_callbacks, consumer, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        order = _file(consumer, business_phone=MOBILE)
    token = _token(outbox)
    invitation = claims.invitation_from_link(token)
    assert claims.needs_details(invitation)
    traveller.shift(dt.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_code_send(token=token)
    code = _code(outbox)
    data = dict(token=token, phone_code=code, credit_code="", username="bbq_boss", password="a-long-Passw0rd!",
                name="", industry="")
    with pytest.raises(InvalidInput) as e:  # every problem at once, the code not spent
        services.business_claim(**data)
    assert set(e.value.fields) == {"credit_code", "name", "industry"}
    credit_code = make_credit_code(region="420106")
    user, delivered = services.business_claim(**{**data, "credit_code": credit_code, "name": "武汉巷口烧烤有限公司",
                                                  "industry": "catering"})
    claimed_at = T0 + dt.timedelta(days=2)
    business = Business.objects.get(pk=order.business_id)
    assert business.status == "active" and business.approved_at == claimed_at
    assert business.credit_code == credit_code and business.name == "武汉巷口烧烤有限公司"
    assert business.industry_id == "catering" and business.name_initials
    assert user.business_id == business.pk and user.is_business_admin and user.mobile == MOBILE
    assert [o.pk for o in delivered] == [order.pk]
    order.refresh_from_db()
    assert order.state == "delivered" and order.delivered_at == claimed_at
    assert order.respond_by == claimed_at + dt.timedelta(hours=24)
    assert business_directory(q="巷口烧烤").filter(pk=business.pk).exists()  # public now


def test_a_claim_with_a_credit_code_another_business_holds_is_refused(
        traveller, django_capture_on_commit_callbacks, consumer, business, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        _file(consumer, business_phone=MOBILE)
    token = _token(outbox)
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_code_send(token=token)
    with pytest.raises(InvalidInput) as e:
        services.business_claim(token=token, phone_code=_code(outbox), credit_code=business.credit_code,
                                username="bbq_boss", password="a-long-Passw0rd!", name="巷口烧烤", industry="catering")
    assert set(e.value.fields) == {"credit_code"} and "另一家商户" in e.value.fields["credit_code"]


def test_an_invited_business_applying_by_itself_is_sent_to_its_claim_link(
        traveller, django_capture_on_commit_callbacks, consumer, outbox):
    code = make_credit_code(region="420106")
    with django_capture_on_commit_callbacks(execute=True):
        _file(consumer, business_phone=MOBILE, business_credit_code=code)
    with pytest.raises(Conflict) as e:
        business_apply(applicant=None, name="巷口烧烤", credit_code=code, industry="catering", region_code="420106",
                       contact_name="王", contact_phone=MOBILE)
    assert e.value.code == "invited" and "认领" in e.value.message


def test_the_council_corrects_the_contact_and_the_invitation_goes_there(
        traveller, django_capture_on_commit_callbacks, consumer, make_user, make_business, outbox, partner):
    code = make_credit_code(region="420106")
    with django_capture_on_commit_callbacks(execute=True):
        order = _file(consumer, business_credit_code=code)  # no mobile: nobody to invite yet
    business = order.business
    assert order.review_reason == "awaiting_claim" and [m for m in outbox if m.kind == "claim"] == []
    refused = [make_user("council", region="420500"), make_user("partner", partner=partner), consumer,
               make_user("business", business=make_business("武昌另一家"))]
    for who in refused:
        with pytest.raises((NotAllowed, NotFound)):
            claims.invitation_contact_set(actor=who, business=business, phone="13611112222")
    council = make_user("council", region="420100")
    with pytest.raises(InvalidInput) as e:
        claims.invitation_contact_set(actor=council, business=business, phone="027-1234567", email="not-an-email")
    assert set(e.value.fields) == {"phone", "email"}
    with pytest.raises(InvalidInput) as e:
        claims.invitation_contact_set(actor=council, business=business)
    assert set(e.value.fields) == {"phone"}
    with django_capture_on_commit_callbacks(execute=True):
        claims.invitation_contact_set(actor=council, business=business, phone="136 1111 2222",
                                      email="shop@example.com")
    assert sorted((m.channel, m.to) for m in outbox if m.kind == "claim") == [
        ("email", "shop@example.com"), ("sms", "13611112222")]
    invitation = ClaimInvitation.objects.get(business=business)
    assert invitation.phone == "13611112222" and invitation.sends == 1
    business.refresh_from_db()
    assert business.contact_phone == "13611112222"


def test_a_partner_import_adopts_an_invited_record_instead_of_a_second_one(
        traveller, django_capture_on_commit_callbacks, consumer, make_user, outbox):
    from hejie.partners import services as partner_services
    from hejie.partners.models import Partner
    from tests.partners.conftest import csv_bytes

    code = make_credit_code(region="420106")
    with django_capture_on_commit_callbacks(execute=True):
        order = _file(consumer, business_phone=MOBILE, business_credit_code=code)
    platform = Partner.objects.create(name="外卖平台", kind="platform", region_id="420000", status="active",
                                      onboard_status="active")
    staff = make_user("partner", partner=platform)
    data = csv_bytes([("武汉巷口烧烤店", code, "餐饮", "420106", "夜市 3 号", "王", "", "", 1)])
    batch = partner_services.import_preview(actor=staff, partner=platform, filename="shops.csv", data=data)
    assert (batch.accepted, batch.already) == (1, 0)  # not "already on the platform": it was only named
    batch = partner_services.import_commit(actor=staff, batch=batch)
    assert batch.created == 1
    [business] = Business.objects.filter(credit_code=code)
    assert business.pk == order.business_id  # the same record, adopted
    assert (business.status, business.partner_id, business.name, business.industry_id) == (
        "active", platform.pk, "武汉巷口烧烤店", "catering")
    assert business.contact_phone == MOBILE  # the import had none: the consumer's is kept
    # the order still waits for the claim, and the partner now sees it waiting
    order.refresh_from_db()
    assert order.state == "pending_review" and order.review_reason == "awaiting_claim"
    assert claims.invitation_from_link(_token(outbox)).business_id == business.pk
