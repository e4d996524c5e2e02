"""``hejie demo``: every state, the Hubei launch businesses, star tiers, black-list candidates, idempotence."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hejie.ops.demo.businesses import BUSINESSES, LAUNCH_INDUSTRIES, credit_codes
from hejie.ops.demo.people import ADMIN_PASSWORD, CONSUMER_PHONES, COUNCILS, STAFF_PASSWORD


def _run_demo() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _counts() -> dict[str, int]:
    from hejie.accounts.models import User
    from hejie.businesses.models import Business, Store
    from hejie.complaints.models import Complaint, ComplaintEvent, Evidence, Message, Proposal, Urge
    from hejie.notifications.models import Notification
    from hejie.ratings.models import BlacklistEntry

    models = [User, Business, Store, Complaint, ComplaintEvent, Evidence, Message, Proposal, Urge, Notification,
              BlacklistEntry]
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # evidence files go here, not into ./var


def test_demo_loads_every_state_and_a_second_run_changes_nothing(db, media):
    from hejie.accounts.models import User
    from hejie.businesses.models import Business
    from hejie.complaints.models import Complaint, Evidence, Mediation, Urge
    from hejie.complaints.states import State
    from hejie.ratings.models import BlacklistEntry

    out, err = _run_demo()
    assert "demo data loaded" in out
    assert "warning" not in err, err  # every order ended in the state its story meant

    # every state of the life of a complaint
    states = Counter(Complaint.objects.values_list("state", flat=True))
    assert set(states) == set(State.values), states
    assert 110 <= sum(states.values()) <= 130

    # the Hubei launch: 55 businesses in its four industries, most active, a few applying, one suspended
    from hejie.ops.demo.businesses import UNCLAIMED

    unclaimed = Business.objects.get(credit_code=UNCLAIMED["credit_code"])  # and one it brought later
    [named] = Business.objects.filter(status="invited")  # and a shop a consumer named by its mobile
    businesses = Business.objects.exclude(pk__in=[unclaimed.pk, named.pk])
    assert businesses.count() == 55
    assert set(businesses.values_list("industry_id", flat=True)) == set(LAUNCH_INDUSTRIES)
    assert all(code.startswith("42") for code in businesses.values_list("region_id", flat=True))
    by_status = Counter(businesses.values_list("status", flat=True))
    assert by_status["suspended"] == 1

    # the platform that brought them, and the association's standards for the four industries
    from hejie.partners.models import Partner
    from hejie.standards.models import StandardVersion

    platform = Partner.objects.get(kind="platform")
    assert businesses.filter(partner=platform).count() == 55 and unclaimed.partner == platform
    assert Partner.objects.filter(kind="association", status="active").count() == 1
    in_force = StandardVersion.objects.filter(status="published")
    assert set(in_force.values_list("standard__industry_id", flat=True)) == set(LAUNCH_INDUSTRIES)
    assert all(v.clauses.exists() for v in in_force)
    assert 2 <= by_status["applied"] <= 3
    assert by_status["active"] == 55 - by_status["applied"] - 1
    assert Business.objects.filter(stores__isnull=False).distinct().count() >= 3

    # all four star tiers among settled cases
    stars = set(Complaint.objects.filter(state=State.SETTLED).values_list("stars", flat=True))
    assert {5, 4, 3, 2} <= stars

    # black-list entries by both rules: the silent net café a candidate; the KTV published, and appealing
    rules = dict(BlacklistEntry.objects.values_list("rule", "status"))
    assert rules == {BlacklistEntry.Rule.FAILED_CASES: "published", BlacklistEntry.Rule.NEVER_TOOK_UP: "candidate"}
    ktv = BlacklistEntry.objects.get(status="published")
    [appeal] = ktv.appeals.all()
    assert appeal.status == "pending" and appeal.files.count() == 1
    # and a surge the council's dashboard flags: the grill house's food-safety night
    from hejie.oversight.surges import surges

    assert [s.name for s in surges()] == ["红钢城烧烤城"]

    # the rest of the story: urges both ways, acknowledged ones, mediations, counters, forwards, evidence
    assert Urge.objects.filter(kind="auto").exists() and Urge.objects.filter(kind="manual").exists()
    assert Urge.objects.filter(acknowledged_at__isnull=False).exists()
    assert Mediation.objects.filter(outcome="").exists()
    assert Complaint.objects.filter(proposals__status="counter").exists()
    assert Complaint.objects.exclude(forwarded_to="").exists()
    assert Complaint.objects.filter(state=State.DELIVERED, auto_urge_level__gt=0).exists()  # overdue
    assert Complaint.objects.filter(state=State.DELIVERED, auto_urge_level=0).exists()  # fresh
    assert Complaint.objects.filter(fulfilment="confirmed").exists()
    assert Complaint.objects.filter(satisfaction__isnull=False).exists()
    assert Evidence.objects.exists()
    assert {"quality", "price", "false_advertising", "contract", "return", "prepaid_card", "safety", "service"} <= set(
        Complaint.objects.values_list("problem_type", flat=True)
    )

    # the people
    admin = User.objects.get(username="admin")
    assert admin.role == "operator" and admin.is_superuser and admin.is_staff
    assert admin.check_password(ADMIN_PASSWORD)
    for username, region, _ in COUNCILS:
        staff = User.objects.get(username=username)
        assert staff.role == "council" and staff.region_id == region and staff.check_password(STAFF_PASSWORD)
    assert User.objects.filter(role="consumer", phone__in=CONSUMER_PHONES).count() == 20
    handled = set(Complaint.objects.exclude(business=None).values_list("business_id", flat=True))
    staffed = set(User.objects.filter(role="business", is_business_admin=True).values_list("business_id", flat=True))
    assert handled - staffed == {unclaimed.pk, named.pk}  # every business with complaints has an admin to
    # sign in as, but the merchant the platform brought without an account and the shop a consumer named,
    # whose complaints wait for their claims
    for waiting_for in (unclaimed, named):
        [waiting] = Complaint.objects.filter(business=waiting_for)
        assert waiting.state == State.PENDING_REVIEW and waiting.review_reason == "awaiting_claim"
        assert waiting_for.invitations.get().sends == 1
    assert out.count("/claim/") == 2 and "汉阳夜市烤串摊" in out

    # staff carry their channels, and were sent their messages (to the log)
    from hejie.notifications.models import Delivery

    admins = User.objects.filter(role="business", is_business_admin=True)
    assert all(u.sms_number and u.email for u in admins)
    assert all(u.sms_number for u in User.objects.filter(role="council"))
    assert Delivery.objects.filter(user__in=admins, kind="new_order", channel="sms", status="sent").exists()
    assert Delivery.objects.filter(user__in=admins, kind="urge", channel="sms").exists()

    # the sign-in table and the counts
    assert "council_wuchang" in out and "biz_" in out and "hejie token --phone 13900000001" in out
    assert "mediation_failed" in out

    # a second run changes nothing and says so
    before = _counts()
    out2, err2 = _run_demo()
    assert "demo data already loaded" in out2
    assert _counts() == before
    assert "admin" in out2


def test_demo_refuses_a_database_where_its_names_are_taken(db, media):
    from hejie.accounts.services import user_create

    user_create(username="admin", password="someone-else-2026", role="operator")
    with pytest.raises(CommandError, match="admin"):
        _run_demo()


def test_demo_credit_codes_are_valid_and_stable():
    from hejie.businesses.credit_code import validate_credit_code

    codes = credit_codes()
    assert len(set(codes.values())) == len(BUSINESSES) == 55
    assert all(validate_credit_code(code) == code for code in codes.values())
    assert codes == credit_codes()
