"""Every business reachable: a complaint against a business nobody can sign in for (brought by a
partner's import) waits with its clock stopped, invites the business by SMS with a claim link,
and is delivered, its clock starting, when the business claims its account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing

from hejie.businesses import claims
from hejie.businesses.models import ClaimInvitation
from hejie.complaints import services
from hejie.complaints.models import Complaint
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited
from hejie.notifications.models import Delivery
from hejie.ops.sweep import sweep
from tests.conftest import T0

PHONE = "13912345678"
FILING = dict(problem_type="quality", description="买的热干面里有异物，要求退款。", claim_type="refund",
              claim_amount="38.00", purchase_amount="38.00")


@pytest.fixture
def imported(make_business, partner):
    """An active business brought by a partner's import: a contact phone, nobody to sign in."""
    return make_business("江城小龙虾", contact_phone=PHONE, contact_email="boss@example.com", partner=partner)


def _file(consumer, business, **extra):
    return services.complaint_submit(consumer=consumer, business_id=business.pk, **{**FILING, **extra})


def _token(message) -> str:
    match = re.search(r"/claim/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def _claims(outbox):
    return [m for m in outbox if m.kind == "claim"]


def _code(outbox) -> str:
    match = re.search(r"\b(\d{6})\b", outbox[-1].body)
    assert match, outbox[-1].body
    return match.group(1)


def _claim(token, code, business, **extra):
    data = dict(token=token, phone_code=code, credit_code=business.credit_code, username="lobster_admin",
                password="a-long-Passw0rd!")
    return services.business_claim(**{**data, **extra})


def test_an_order_against_a_business_without_an_account_waits_and_invites_it(
        traveller, django_capture_on_commit_callbacks, consumer, imported, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        order = _file(consumer, imported)
    assert order.state == "pending_review" and order.review_reason == "awaiting_claim"
    assert order.delivered_at is None and order.respond_by is None and order.next_deadline_at is None
    sms = [m for m in outbox if m.channel == "sms" and m.kind == "claim"]
    email = [m for m in outbox if m.channel == "email" and m.kind == "claim"]
    assert [m.to for m in sms] == [PHONE] and [m.to for m in email] == ["boss@example.com"]
    assert sms[0].kind == "claim" and imported.name in sms[0].title and "/claim/" in sms[0].body
    invitation = ClaimInvitation.objects.get(business=imported)
    assert invitation.sends == 1 and invitation.last_sent_at == T0 and invitation.claimed_at is None

    with django_capture_on_commit_callbacks(execute=True):
        second = _file(consumer, imported, order_ref="B-2")
    assert second.review_reason == "awaiting_claim"
    assert ClaimInvitation.objects.filter(business=imported).count() == 1  # one open invitation, not sent twice
    assert len([m for m in outbox if m.kind == "claim" and m.channel == "sms"]) == 1


def test_claiming_delivers_the_waiting_orders_and_the_clock_starts_at_the_claim(
        traveller, django_capture_on_commit_callbacks, consumer, imported, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        order = _file(consumer, imported)
    token = _token(_claims(outbox)[0])
    traveller.shift(dt.timedelta(days=3))  # three days unseen: no clock ran, nothing can fail
    sweep()
    assert Complaint.objects.get(pk=order.pk).state == "pending_review"

    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_code_send(token=token)
    user, delivered = _claim(token, _code(outbox), imported, display_name="王老板")
    claimed_at = T0 + dt.timedelta(days=3)
    assert [o.pk for o in delivered] == [order.pk]
    order.refresh_from_db()
    assert order.state == "delivered" and order.delivered_at == claimed_at
    assert order.respond_by == claimed_at + dt.timedelta(hours=24)
    assert order.settle_by == claimed_at + dt.timedelta(days=14)
    assert user.business_id == imported.pk and user.is_business_admin and user.mobile == PHONE
    assert user.mobile_verified_at is not None and user.check_password("a-long-Passw0rd!")
    assert claims.has_account(imported)
    event = order.events.order_by("-pk").first()
    assert event.type == "forward" and event.side == "system" and event.payload["claimed"] is True
    invitation = ClaimInvitation.objects.get(business=imported)
    assert invitation.claimed_at == claimed_at and invitation.claimed_by == user

    # the link is spent: it says so, and a later order is delivered straight away
    with pytest.raises(Conflict) as e:
        claims.invitation_from_link(token)
    assert e.value.code == "claimed"
    assert _file(consumer, imported, order_ref="after").state == "delivered"


def test_a_wrong_credit_code_or_code_claims_nothing(traveller, django_capture_on_commit_callbacks, consumer,
                                                     imported, outbox, make_business):
    with django_capture_on_commit_callbacks(execute=True):
        _file(consumer, imported)
    token = _token(_claims(outbox)[0])
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_code_send(token=token)
    code = _code(outbox)
    other = make_business("别家")
    with pytest.raises(InvalidInput) as e:
        _claim(token, code, imported, credit_code=other.credit_code, username="", password="short")
    assert set(e.value.fields) == {"credit_code", "username", "password"}  # every problem at once
    with pytest.raises(InvalidInput) as e:
        _claim(token, "000000" if code != "000000" else "111111", imported)
    assert set(e.value.fields) == {"phone_code"}
    assert not claims.has_account(imported)
    assert Complaint.objects.get(business=imported).state == "pending_review"
    _claim(token, code, imported)  # the right code still works: the credit-code refusal did not spend it
    assert claims.has_account(imported)


def test_a_forged_expired_or_foreign_link_is_refused(traveller, django_capture_on_commit_callbacks, consumer,
                                                     imported, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        _file(consumer, imported)
    token = _token(_claims(outbox)[0])
    with pytest.raises(NotFound):
        claims.invitation_from_link(token[:-2] + ("aa" if not token.endswith("aa") else "bb"))
    with pytest.raises(NotFound):
        claims.invitation_from_link(signing.dumps(ClaimInvitation.objects.get().pk, salt="another.salt"))
    traveller.shift(claims.LINK_MAX_AGE - dt.timedelta(seconds=1))
    assert claims.invitation_from_link(token).business_id == imported.pk  # still good at the last second
    traveller.shift(dt.timedelta(seconds=2))
    with pytest.raises(Conflict) as e:
        claims.invitation_from_link(token)
    assert e.value.code == "expired"


def test_unclaimed_invitations_are_sent_again_on_schedule_then_stop(
        traveller, django_capture_on_commit_callbacks, consumer, imported, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        _file(consumer, imported)
    invitation = ClaimInvitation.objects.get()
    traveller.shift(claims.RESEND_EVERY - dt.timedelta(seconds=1))
    assert claims.invitations_resend_due() == 0
    traveller.shift(dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert claims.invitations_resend_due() == 1
    invitation.refresh_from_db()
    assert invitation.sends == 2 and invitation.last_sent_at == T0 + claims.RESEND_EVERY
    for _ in range(claims.MAX_SENDS):
        traveller.shift(claims.RESEND_EVERY)
        with django_capture_on_commit_callbacks(execute=True):
            claims.invitations_resend_due()
    invitation.refresh_from_db()
    assert invitation.sends == claims.MAX_SENDS
    assert len([m for m in _claims(outbox) if m.channel == "sms"]) == claims.MAX_SENDS
    # every link sent still opens the same invitation (until it is claimed or too old)
    assert len({claims.invitation_from_link(_token(m)).pk for m in outbox if m.channel == "sms"
                and m.kind == "claim"}) == 1


def test_the_partner_and_the_council_may_remind_others_may_not(
        traveller, django_capture_on_commit_callbacks, consumer, imported, outbox, make_user, partner):
    from hejie.partners.models import Partner

    with django_capture_on_commit_callbacks(execute=True):
        _file(consumer, imported)
    other_partner = Partner.objects.create(name="别的平台", kind="platform", region_id="420000", status="active",
                                           onboard_status="active")
    refused = [make_user("partner", partner=other_partner), make_user("council", region="420500"),
               make_user("business", business=imported.__class__.objects.exclude(pk=imported.pk).first()
                         or imported), consumer]
    for who in refused:
        with pytest.raises((NotAllowed, NotFound)):
            claims.invitation_remind(actor=who, business=imported)
    mine = make_user("partner", partner=partner)
    with pytest.raises(RateLimited) as e:  # it was just sent
        claims.invitation_remind(actor=mine, business=imported)
    assert e.value.retry_after == int(claims.REMIND_GAP.total_seconds())
    traveller.shift(claims.REMIND_GAP)
    with django_capture_on_commit_callbacks(execute=True):
        claims.invitation_remind(actor=mine, business=imported)
    traveller.shift(claims.REMIND_GAP)
    with django_capture_on_commit_callbacks(execute=True):
        claims.invitation_remind(actor=make_user("council", region="420100"), business=imported)
    assert ClaimInvitation.objects.get().sends == 3
    assert Delivery.objects.filter(kind="claim", channel="sms", to=PHONE).count() == 3


def test_a_business_without_a_registered_mobile_waits_and_shows_the_council_why(
        traveller, django_capture_on_commit_callbacks, consumer, make_business, outbox, council):
    landline = make_business("老字号", contact_phone="027-88886666")
    with django_capture_on_commit_callbacks(execute=True):
        order = _file(consumer, landline)
    assert order.review_reason == "awaiting_claim" and _claims(outbox) == []
    invitation = ClaimInvitation.objects.get(business=landline)
    assert invitation.phone == "" and invitation.sends == 0
    with pytest.raises(Conflict) as e:
        claims.invitation_remind(actor=council, business=landline)
    assert e.value.code == "unreachable"
    with pytest.raises(InvalidInput):  # the council cannot deliver it to nobody either
        services.complaint_forward(actor=council, complaint=order, business_id=landline.pk)
