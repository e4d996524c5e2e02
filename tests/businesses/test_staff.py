"""Joining from the web form (business_join) and the business's staff accounts
(staff_invite / staff_remove / staff_set_admin / staff_reset_password), each refusal
tested from the side of the one refused."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from hejie.accounts.models import ApiToken, User
from hejie.accounts.services import token_authenticate, token_create
from hejie.businesses import services
from hejie.businesses.models import Business
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.accounts.phone_codes import issue_join_code
from tests.conftest import make_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user, business):
    return make_user("business", business=business, is_business_admin=True)


def join_data(**extra):
    data = dict(
        applicant=None, username="laowang", password="re-gan-mian-2026", name="老王热干面",
        credit_code=make_credit_code(), industry="catering", region_code="420102", address="江岸区中山大道1号",
        contact_name="王师傅", contact_phone="13912345678", contact_email="",
        stores=[{"name": "中山大道店", "region_code": "", "address": "中山大道1号"}],
        accept_rules=True, accept_standards=False,
    )
    data.update(extra)
    if "phone_code" not in data:
        data["phone_code"] = issue_join_code(data["contact_phone"])
    return data


# ---------------------------------------------------------------- joining


def test_join_creates_the_application_and_its_admin_in_one_go(council):
    business, admin = services.business_join(**join_data())
    assert business.status == Business.Status.APPLIED and business.region_l3 == "420102"
    assert admin.role == "business" and admin.business == business and admin.is_business_admin
    assert admin.display_name == "王师傅"
    assert authenticate(username="laowang", password="re-gan-mian-2026") == admin
    store = business.stores.get()
    assert store.name == "中山大道店" and store.region_id == "420102"  # not chosen: where the business is
    assert council.notifications.filter(event="business_applied").exists()
    # the contact phone confirmed by code is the admin's confirmed mobile: their SMS go there
    assert admin.mobile == "13912345678" and admin.mobile_verified_at is not None
    assert admin.sms_number == "13912345678"


def test_join_keeps_the_contact_email_as_the_admin_s_email():
    _business, admin = services.business_join(**join_data(contact_email="laowang@example.com"))
    assert admin.email == "laowang@example.com"


def test_join_records_acceptance_of_the_industry_standards(operator_publish):
    from hejie.standards.models import StandardAcceptance

    with pytest.raises(InvalidInput) as exc:
        services.business_join(**join_data())
    assert set(exc.value.fields) == {"accept_standards"}
    business, admin = services.business_join(**join_data(accept_standards=True))
    acceptance = StandardAcceptance.objects.get(business=business)
    assert acceptance.accepted_by == admin and acceptance.version.status == "published"


@pytest.fixture
def operator_publish(make_user):
    from hejie.standards import services as std

    operator = make_user("operator")
    standard = std.standard_create(actor=operator, industry="catering", title="餐饮服务规范", publisher_name="协会")
    std.version_draft(actor=operator, standard=standard)
    std.clause_set(actor=operator, standard=standard, version=1, number="1", text="明码标价。")
    std.version_publish(actor=operator, standard=standard, version=1)
    return standard


def test_join_reports_every_bad_field_at_once_and_writes_nothing(make_user):
    taken = make_user("consumer", username="taken")
    code = make_credit_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as exc:
        services.business_join(**join_data(
            name="", credit_code=bad, industry="nope", region_code="420100", username=taken.username,
            password="123", accept_rules=False, contact_email="not-an-email",
            stores=[{"name": "A店", "region_code": "420000"}]))
    fields = exc.value.fields
    # not "username": whether it is taken is said only once the phone is proved (tests/api/test_businesses.py)
    assert set(fields) == {"name", "credit_code", "industry", "region_code", "password", "accept_rules",
                           "contact_email", "stores.0.region_code"}
    assert "校验位" in fields["credit_code"] and "区县" in fields["region_code"]
    assert not Business.objects.exists() and not User.objects.filter(role="business").exists()


def test_join_a_city_without_counties_is_complete():
    business, _ = services.business_join(**join_data(region_code="441900"))  # 东莞市 has no counties
    assert business.region_l2 == "441900" and business.region_l3 is None


def test_join_duplicate_credit_code_is_refused_beside_the_field(make_business):
    existing = make_business()
    with pytest.raises(InvalidInput) as exc:
        services.business_join(**join_data(credit_code=existing.credit_code.lower()))
    assert "已有商户" in exc.value.fields["credit_code"]


def test_a_refused_business_joins_again_with_a_new_admin_beside_the_old(council):
    code = make_credit_code()
    business, first_admin = services.business_join(**join_data(credit_code=code))
    services.business_refuse(actor=council, business=business, reason="营业执照与名称不符")
    again, second_admin = services.business_join(**join_data(
        credit_code=code, username="laowang2", name="老王热干面（总店）",
        stores=[{"name": "总店", "region_code": "420103", "address": "江汉路1号"}]))
    assert again.pk == business.pk and again.status == Business.Status.APPLIED and again.status_reason == ""
    assert set(again.staff.filter(is_business_admin=True)) == {first_admin, second_admin}
    assert authenticate(username="laowang", password="re-gan-mian-2026") == first_admin  # may still sign in
    assert authenticate(username="laowang2", password="re-gan-mian-2026") == second_admin
    assert list(again.stores.values_list("name", "region_id")) == [("总店", "420103")]
    assert council.notifications.filter(event="business_applied").count() == 2


def test_join_again_is_refused_while_the_business_is_not_refused(make_business):
    for status in ("applied", "active", "suspended"):
        existing = make_business(status=status)
        with pytest.raises(InvalidInput) as exc:
            services.business_join(**join_data(credit_code=existing.credit_code))
        assert "已有商户" in exc.value.fields["credit_code"]
    assert not User.objects.filter(username="laowang").exists()


def test_join_is_refused_to_staff_accounts(staff, council, make_user):
    for who in (staff, council, make_user("operator")):
        with pytest.raises(NotAllowed):
            services.business_join(**join_data(applicant=who))


def test_a_consumer_joining_keeps_their_consumer_account(consumer):
    business, admin = services.business_join(**join_data(applicant=consumer))
    consumer.refresh_from_db()
    assert consumer.role == "consumer" and consumer.business is None
    assert admin != consumer and admin.business == business


# ---------------------------------------------------------------- staff


def test_admin_invites_staff_with_an_initial_password_shown_once(admin, business):
    member, password = services.staff_invite(actor=admin, business=business, username="xiaoli",
                                             display_name="小李")
    assert member.business == business and member.role == "business" and not member.is_business_admin
    assert len(password) == 14 and member.password != password
    assert authenticate(username="xiaoli", password=password) == member
    assert admin.notifications.filter(event="staff_invited").exists()


def test_invite_checks_its_input(admin, business, staff):
    with pytest.raises(InvalidInput) as exc:
        services.staff_invite(actor=admin, business=business, username="小 李", display_name="小李")
    assert "username" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        services.staff_invite(actor=admin, business=business, username="xiaoli", display_name="")
    assert "display_name" in exc.value.fields
    with pytest.raises(Conflict) as exc:
        services.staff_invite(actor=admin, business=business, username=staff.username.upper(), display_name="重名")
    assert exc.value.fields == {"username": "taken"}


@pytest.fixture
def outsiders(make_user, make_business, business, staff):
    other = make_business()
    return {
        "non-admin staff": staff,
        "another business's admin": make_user("business", business=other, is_business_admin=True),
        "consumer": make_user("consumer"),
        "council": make_user("council", region="420100"),
        "disabled admin": make_user("business", business=business, is_business_admin=True, is_active=False),
    }


@pytest.mark.parametrize("who", ["non-admin staff", "another business's admin", "consumer", "council",
                                 "disabled admin"])
def test_staff_actions_are_refused_to_anyone_but_the_business_s_admins(outsiders, who, business, staff, admin):
    actor = outsiders[who]
    with pytest.raises(NotAllowed):
        services.staff_invite(actor=actor, business=business, username="intruder", display_name="X")
    with pytest.raises(NotAllowed):
        services.staff_remove(actor=actor, business=business, user_id=staff.pk)
    with pytest.raises(NotAllowed):
        services.staff_set_admin(actor=actor, business=business, user_id=staff.pk, is_admin=True)
    with pytest.raises(NotAllowed):
        services.staff_reset_password(actor=actor, business=business, user_id=staff.pk)
    staff.refresh_from_db()
    assert staff.is_active and not staff.is_business_admin
    assert not User.objects.filter(username="intruder").exists()


def test_another_business_s_staff_member_is_not_found(admin, business, make_business, make_user):
    stranger = make_user("business", business=make_business())
    for call in (lambda: services.staff_remove(actor=admin, business=business, user_id=stranger.pk),
                 lambda: services.staff_set_admin(actor=admin, business=business, user_id=stranger.pk, is_admin=True),
                 lambda: services.staff_reset_password(actor=admin, business=business, user_id=stranger.pk),
                 lambda: services.staff_remove(actor=admin, business=business, user_id="x"),
                 lambda: services.staff_remove(actor=admin, business=business, user_id=2**70)):
        with pytest.raises(NotFound):
            call()
    stranger.refresh_from_db()
    assert stranger.is_active


def test_remove_deactivates_and_revokes_tokens(admin, business, staff):
    raw = token_create(user=staff)
    assert token_authenticate(raw) == staff
    services.staff_remove(actor=admin, business=business, user_id=staff.pk)
    staff.refresh_from_db()
    assert not staff.is_active
    assert token_authenticate(raw) is None
    assert ApiToken.objects.get(user=staff).revoked_at is not None
    # removing twice is harmless
    services.staff_remove(actor=admin, business=business, user_id=staff.pk)


def test_an_admin_cannot_remove_or_demote_themself(admin, business):
    with pytest.raises(Conflict):
        services.staff_remove(actor=admin, business=business, user_id=admin.pk)
    with pytest.raises(Conflict):
        services.staff_set_admin(actor=admin, business=business, user_id=admin.pk, is_admin=False)
    admin.refresh_from_db()
    assert admin.is_active and admin.is_business_admin


def test_the_last_admin_stays(admin, business, make_user):
    operator = make_user("operator")  # operators administer every business, so only this rule stops them
    with pytest.raises(Conflict) as exc:
        services.staff_remove(actor=operator, business=business, user_id=admin.pk)
    assert exc.value.code == "last_admin"
    with pytest.raises(Conflict):
        services.staff_set_admin(actor=operator, business=business, user_id=admin.pk, is_admin=False)
    second = make_user("business", business=business, is_business_admin=True)
    services.staff_remove(actor=operator, business=business, user_id=admin.pk)
    admin.refresh_from_db()
    assert not admin.is_active and second.is_business_admin


def test_make_and_unmake_admin(admin, business, staff):
    services.staff_set_admin(actor=admin, business=business, user_id=staff.pk, is_admin=True)
    staff.refresh_from_db()
    assert staff.is_business_admin
    services.staff_set_admin(actor=admin, business=business, user_id=staff.pk, is_admin=False)
    staff.refresh_from_db()
    assert not staff.is_business_admin


def test_reset_password_gives_a_new_one(admin, business, staff):
    _, password = services.staff_reset_password(actor=admin, business=business, user_id=staff.pk)
    assert authenticate(username=staff.username, password=password) == staff


def test_a_refused_business_adds_no_staff(admin, business):
    Business.objects.filter(pk=business.pk).update(status=Business.Status.REFUSED)
    with pytest.raises(Conflict):
        services.staff_invite(actor=admin, business=business, username="late", display_name="晚来")
