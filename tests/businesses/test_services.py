import datetime as dt

import pytest

from hejie.businesses.models import Business, Store
from hejie.businesses.services import (
    business_apply,
    business_approve,
    business_reactivate,
    business_refuse,
    business_suspend,
    store_add,
)
from hejie.core.errors import Conflict, InvalidInput, NotAllowed
from hejie.notifications.models import Notification
from tests.conftest import make_credit_code


def _apply(applicant, **overrides):
    kwargs = {
        "applicant": applicant,
        "name": "武汉热干面馆",
        "credit_code": make_credit_code(),
        "industry": "catering",
        "region_code": "420102",
        "address": "江岸区中山大道1号",
        "contact_name": "张三",
        "contact_phone": "13912345678",
        "contact_email": "boss@example.com",
    }
    kwargs.update(overrides)
    return business_apply(**kwargs)


def _events(user, event):
    return Notification.objects.filter(user=user, event=event).count()


# ------------------------------------------------------------------ applying


def test_apply_creates_an_applied_business_with_region_codes_and_initials(make_user):
    applicant = make_user("consumer")
    wuhan = make_user("council", region="420100")
    hubei = make_user("council", region="420000")
    district = make_user("council", region="420102")
    yichang = make_user("council", region="420500")
    other_district = make_user("council", region="420106")

    b = _apply(
        applicant,
        credit_code=make_credit_code().lower(),
        stores=[
            {"name": "江岸店", "region_code": "420102", "address": "中山大道1号"},
            {"name": "武昌店", "region_code": "420106"},
        ],
    )

    b.refresh_from_db()
    assert b.status == Business.Status.APPLIED
    assert b.approved_at is None
    assert b.name_initials == "whrgmg"
    assert b.credit_code == b.credit_code.upper()
    assert (b.region_l1, b.region_l2, b.region_l3) == ("420000", "420100", "420102")
    assert b.industry_id == "catering"
    assert sorted(Store.objects.filter(business=b).values_list("name", flat=True)) == ["武昌店", "江岸店"]

    applicant.refresh_from_db()
    assert applicant.role == "business" and applicant.business_id == b.pk and applicant.is_business_admin

    for covering in (wuhan, hubei, district):
        assert _events(covering, "business_applied") == 1
    for outside in (yichang, other_district):
        assert _events(outside, "business_applied") == 0


def test_applicant_already_staff_of_another_business_stays_there(make_user, make_business):
    first = make_business()
    staff = make_user("business", business=first, is_business_admin=True)
    b = _apply(staff, name="另一家店")
    staff.refresh_from_db()
    assert staff.business_id == first.pk
    assert not b.staff.exists()


def test_operator_applying_on_behalf_keeps_their_role(make_user):
    operator = make_user("operator")
    b = _apply(operator)
    operator.refresh_from_db()
    assert operator.role == "operator" and operator.business_id is None
    assert b.status == Business.Status.APPLIED


def test_duplicate_credit_code_is_a_conflict(make_user):
    code = make_credit_code()
    _apply(make_user("consumer"), credit_code=code)
    with pytest.raises(Conflict) as info:
        _apply(make_user("consumer"), name="另一个名字", credit_code=f" {code[:6]}-{code[6:].lower()} ")
    assert "credit_code" in info.value.fields
    assert Business.objects.filter(credit_code=code).count() == 1


def test_unknown_region_is_refused_on_its_field(make_user):
    applicant = make_user("consumer")
    with pytest.raises(InvalidInput) as info:
        _apply(applicant, region_code="429999")
    assert list(info.value.fields) == ["region_code"]
    with pytest.raises(InvalidInput) as info:
        _apply(applicant, region_code="wuhan")
    assert list(info.value.fields) == ["region_code"]
    assert not Business.objects.exists()
    applicant.refresh_from_db()
    assert applicant.role == "consumer"


def test_unknown_industry_is_refused_on_its_field(make_user):
    with pytest.raises(InvalidInput) as info:
        _apply(make_user("consumer"), industry="casino")
    assert list(info.value.fields) == ["industry"]
    assert not Business.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "店" * 121}, "name"),
        ({"credit_code": "91420102000000001X"}, "credit_code"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"stores": [{"name": "", "region_code": "420102"}]}, "stores.0.name"),
        (
            {"stores": [{"name": "一店", "region_code": "420102"}, {"name": "一店", "region_code": "420106"}]},
            "stores.1.name",
        ),
        ({"stores": [{"name": "一店", "region_code": "000000"}]}, "stores.0.region_code"),
    ],
)
def test_bad_input_names_the_field(make_user, overrides, field):
    with pytest.raises(InvalidInput) as info:
        _apply(make_user("consumer"), **overrides)
    assert field in info.value.fields
    assert not Business.objects.exists()


def test_name_initials_keep_latin_letters_and_digits(make_user):
    b = _apply(make_user("consumer"), name="KFC肯德基（7号店）")
    assert b.name_initials == "kfckdj7hd"


# ----------------------------------------------------------------- applying again after a refusal


def test_a_refused_business_applies_again_as_a_fresh_application(make_user, traveller):
    from hejie.complaints.services import complaint_submit

    admin = make_user("consumer")
    wuhan = make_user("council", region="420100")
    yichang = make_user("council", region="420500")
    code = make_credit_code()
    first = _apply(admin, credit_code=code, stores=[{"name": "江岸店", "region_code": "420102"},
                                                    {"name": "武昌店", "region_code": "420106"},
                                                    {"name": "汉阳店", "region_code": "420105"}])
    admin.refresh_from_db()
    wuchang = Store.objects.get(business=first, name="武昌店")
    # a complaint names the 武昌 store while the business is not on the platform (queued for the council)
    complaint_submit(consumer=make_user("consumer"), business_id=first.pk, store_id=wuchang.pk,
                     problem_type="quality", description="买的热干面里有异物，要求退款。", claim_type="refund",
                     claim_amount="38.00", purchase_amount="38.00")
    business_refuse(actor=wuhan, business=first, reason="营业执照照片不清晰")
    applied_at = Business.objects.get(pk=first.pk).created_at

    traveller.shift(dt.timedelta(days=3))
    again = _apply(None, credit_code=code.lower(), name="汉口热干面馆", industry="lodging", region_code="420502",
                   contact_name="李四", stores=[{"name": "江岸店", "region_code": "420103", "address": "新址"},
                                                 {"name": "宜昌店", "region_code": "420502"}])

    assert again.pk == first.pk and Business.objects.count() == 1
    again.refresh_from_db()
    assert again.status == Business.Status.APPLIED and again.status_reason == ""
    assert (again.name, again.name_initials, again.industry_id, again.contact_name) == (
        "汉口热干面馆", "hkrgmg", "lodging", "李四")
    assert (again.region_id, again.region_l1, again.region_l2, again.region_l3) == (
        "420502", "420000", "420500", "420502")
    assert again.created_at == applied_at + dt.timedelta(days=3) and again.approved_at is None
    # its stores are the new ones; the one a complaint names is closed, not deleted
    stores = {s.name: (s.region_id, s.address, s.is_active) for s in Store.objects.filter(business=again)}
    assert stores == {"江岸店": ("420103", "新址", True), "宜昌店": ("420502", "", True),
                      "武昌店": ("420106", "", False)}
    # the earlier admin stays attached, and is told; the refusal stays in their notices
    admin.refresh_from_db()
    assert admin.business_id == again.pk and admin.is_business_admin and admin.role == "business"
    assert _events(admin, "business_applied") == 1
    assert "营业执照照片不清晰" in Notification.objects.get(user=admin, event="business_refused").body
    # the council over the new place is told, like a new application, with the earlier reason
    told = Notification.objects.filter(user=yichang, event="business_applied").get()
    assert "重新申请" in told.title and "营业执照照片不清晰" in told.body
    # it is an application again: the council may review it
    business_approve(actor=make_user("council", region="420500"), business=again)
    assert Business.objects.get(pk=again.pk).status == Business.Status.ACTIVE


@pytest.mark.parametrize("status", ["applied", "active", "suspended"])
def test_only_a_refused_business_may_apply_again(make_user, make_business, status):
    existing = make_business("原来的店", status=status)
    with pytest.raises(Conflict) as info:
        _apply(make_user("consumer"), credit_code=existing.credit_code, name="另一个名字")
    assert info.value.fields == {"credit_code": "duplicate"}
    existing.refresh_from_db()
    assert existing.name == "原来的店" and existing.status == status


def test_a_refused_business_applying_again_without_stores_keeps_none(make_user, make_business):
    refused = make_business("被拒的店", status="refused", status_reason="材料不全")
    Store.objects.create(business=refused, name="旧店", region_id="420102")
    again = _apply(None, credit_code=refused.credit_code)
    assert again.pk == refused.pk and not Store.objects.filter(business=refused).exists()


# ----------------------------------------------------------------- reviewing


@pytest.fixture
def applied(make_business):
    return make_business("武汉热干面馆", region="420102", status="applied")


def test_council_of_another_city_cannot_approve(make_user, applied):
    yichang = make_user("council", region="420500")
    with pytest.raises(NotAllowed):
        business_approve(actor=yichang, business=applied)
    applied.refresh_from_db()
    assert applied.status == Business.Status.APPLIED


def test_council_of_a_sibling_district_cannot_approve(make_user, applied):
    wuchang = make_user("council", region="420106")
    with pytest.raises(NotAllowed):
        business_approve(actor=wuchang, business=applied)


def test_business_staff_cannot_approve_even_their_own(make_user, applied):
    admin = make_user("business", business=applied, is_business_admin=True)
    with pytest.raises(NotAllowed):
        business_approve(actor=admin, business=applied)
    consumer = make_user("consumer")
    with pytest.raises(NotAllowed):
        business_approve(actor=consumer, business=applied)


def test_inactive_council_member_cannot_approve(make_user, applied):
    wuhan = make_user("council", region="420100", is_active=False)
    with pytest.raises(NotAllowed):
        business_approve(actor=wuhan, business=applied)


@pytest.mark.parametrize("region", ["420000", "420100", "420102"])
def test_council_whose_subtree_contains_the_business_can_approve(make_user, applied, region):
    staff = make_user("business", business=applied)
    council = make_user("council", region=region)
    result = business_approve(actor=council, business=applied)
    assert result.status == applied.status == Business.Status.ACTIVE
    applied.refresh_from_db()
    assert applied.status == Business.Status.ACTIVE
    assert applied.approved_at is not None
    assert _events(staff, "business_approved") == 1


def test_operator_can_approve_anywhere(make_user, make_business):
    beijing = make_business(region="110101", status="applied")
    operator = make_user("operator")
    assert business_approve(actor=operator, business=beijing).status == Business.Status.ACTIVE


def test_approving_an_active_business_is_a_conflict(make_user, business):
    hubei = make_user("council", region="420000")
    with pytest.raises(Conflict):
        business_approve(actor=hubei, business=business)


def test_refusal_is_checked_before_state(make_user, business):
    """A stranger learns nothing about the state: NotAllowed, not Conflict."""
    yichang = make_user("council", region="420500")
    with pytest.raises(NotAllowed):
        business_approve(actor=yichang, business=business)


def test_refuse_needs_a_reason_and_tells_the_applicant(make_user, applied):
    staff = make_user("business", business=applied, is_business_admin=True)
    wuhan = make_user("council", region="420100")
    with pytest.raises(InvalidInput) as info:
        business_refuse(actor=wuhan, business=applied, reason="  ")
    assert "reason" in info.value.fields
    business_refuse(actor=wuhan, business=applied, reason="营业执照照片不清晰")
    applied.refresh_from_db()
    assert applied.status == Business.Status.REFUSED
    assert applied.status_reason == "营业执照照片不清晰"
    assert Notification.objects.get(user=staff, event="business_refused").body.startswith("原因：营业执照照片不清晰")
    with pytest.raises(Conflict):
        business_approve(actor=wuhan, business=applied)


def test_suspend_and_reactivate(make_user, business, staff):
    yichang = make_user("council", region="420500")
    wuhan = make_user("council", region="420100")
    with pytest.raises(NotAllowed):
        business_suspend(actor=yichang, business=business, reason="多次逾期")
    with pytest.raises(NotAllowed):
        business_suspend(actor=staff, business=business, reason="多次逾期")
    with pytest.raises(InvalidInput):
        business_suspend(actor=wuhan, business=business, reason="")
    with pytest.raises(Conflict):
        business_reactivate(actor=wuhan, business=business)

    business_suspend(actor=wuhan, business=business, reason="多次逾期")
    business.refresh_from_db()
    assert business.status == Business.Status.SUSPENDED and business.status_reason == "多次逾期"
    assert _events(staff, "business_suspended") == 1
    with pytest.raises(Conflict):
        business_suspend(actor=wuhan, business=business, reason="again")
    with pytest.raises(NotAllowed):
        business_reactivate(actor=yichang, business=business)

    approved_at = business.approved_at
    business_reactivate(actor=wuhan, business=business.pk)
    business.refresh_from_db()
    assert business.status == Business.Status.ACTIVE and business.status_reason == ""
    assert business.approved_at == approved_at
    assert _events(staff, "business_reactivated") == 1


def test_suspending_an_applied_business_is_a_conflict(make_user, applied):
    with pytest.raises(Conflict):
        business_suspend(actor=make_user("council", region="420000"), business=applied, reason="x")


# -------------------------------------------------------------------- stores


def test_store_add_by_the_business_admin(make_user, business):
    admin = make_user("business", business=business, is_business_admin=True)
    store = store_add(actor=admin, business=business, name=" 江岸店 ", region_code="420102", address="中山大道1号")
    assert store.name == "江岸店" and store.region_id == "420102" and store.business_id == business.pk
    with pytest.raises(Conflict):
        store_add(actor=admin, business=business, name="江岸店", region_code="420106")
    with pytest.raises(InvalidInput) as info:
        store_add(actor=admin, business=business, name="汉口店", region_code="999999")
    assert "region_code" in info.value.fields


def test_store_add_refused_to_others(make_user, business, make_business):
    plain_staff = make_user("business", business=business)
    other_admin = make_user("business", business=make_business(), is_business_admin=True)
    council = make_user("council", region="420100")
    for actor in (plain_staff, other_admin, council):
        with pytest.raises(NotAllowed):
            store_add(actor=actor, business=business, name="汉口店", region_code="420102")
    assert store_add(actor=make_user("operator"), business=business, name="汉口店", region_code="420102")


def test_store_add_to_a_refused_business_is_a_conflict(make_user, make_business):
    refused = make_business(status="refused")
    with pytest.raises(Conflict):
        store_add(actor=make_user("operator"), business=refused, name="一店", region_code="420102")
