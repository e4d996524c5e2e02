"""Partner organisations: applying, the council's approval or refusal, staff.
Mostly from the side of the one refused."""

import re

import pytest

from hejie.accounts.models import User
from hejie.core.errors import Conflict, InvalidInput, NotAllowed
from hejie.partners import services
from hejie.partners.models import Partner
from tests.conftest import last_code

pytestmark = pytest.mark.django_db

PASSWORD = "hejie-partner-2026"


@pytest.fixture
def applied(make_user):
    applicant = make_user("consumer")
    partner = services.partner_apply(applicant=applicant, name="鄂菜外卖平台", kind="platform", region_code="420100")
    applicant.refresh_from_db()
    return partner, applicant


def test_apply_makes_the_applicant_its_first_admin(applied):
    partner, applicant = applied
    assert partner.status == "applied" and partner.region_id == "420100"
    assert applicant.role == "partner" and applicant.partner_id == partner.pk
    assert services.partner_administers(applicant, partner)


def test_apply_refuses_bad_input_and_staff_of_others(make_user, business):
    with pytest.raises(InvalidInput) as e:
        services.partner_apply(applicant=None, name="x", kind="bank", region_code="420100")
    assert e.value.fields == {"kind": e.value.fields["kind"]}
    with pytest.raises(InvalidInput):
        services.partner_apply(applicant=None, name="", kind="platform", region_code="420100")
    with pytest.raises(InvalidInput):
        services.partner_apply(applicant=None, name="x", kind="platform", region_code="999999")
    with pytest.raises(InvalidInput) as e:
        services.partner_apply(applicant=None, name="x", kind="platform", region_code="420100",
                               industries=["catering"])
    assert "industries" in e.value.fields
    with pytest.raises(InvalidInput):
        services.partner_apply(applicant=None, name="x", kind="association", region_code="420100",
                               industries=["alchemy"])
    with pytest.raises(NotAllowed):
        services.partner_apply(applicant=make_user("business", business=business), name="x", kind="platform",
                               region_code="420100")
    services.partner_apply(applicant=None, name="同名", kind="platform", region_code="420100")
    with pytest.raises(Conflict):
        services.partner_apply(applicant=None, name="同名", kind="chain", region_code="420100")
    assert not Partner.objects.filter(name="x").exists()


def test_council_of_its_region_approves(applied, council):
    partner, _ = applied
    done = services.partner_approve(actor=council, partner=partner, onboard_status="active")
    assert (done.status, done.onboard_status) == ("active", "active") and done.approved_at
    with pytest.raises(Conflict):
        services.partner_approve(actor=council, partner=partner)


def test_province_council_is_over_a_city_partner(applied, make_user):
    partner, _ = applied
    assert services.partner_approve(actor=make_user("council", region="420000"), partner=partner).status == "active"


@pytest.mark.parametrize("who", ["itself", "its_admin_added", "other_region", "lower_region", "consumer",
                                 "business", "other_partner"])
def test_who_may_not_approve_or_refuse(applied, make_user, business, make_partner, who):
    partner, applicant = applied
    actor = {
        "itself": lambda: applicant,
        "its_admin_added": lambda: services.partner_staff_add(actor=applicant, partner=partner, username="p2",
                                                              password=PASSWORD, admin=True),
        "other_region": lambda: make_user("council", region="110000"),
        "lower_region": lambda: make_user("council", region="420102"),  # a district under the partner's city
        "consumer": lambda: make_user("consumer"),
        "business": lambda: make_user("business", business=business),
        "other_partner": lambda: make_user("partner", partner=make_partner("另一平台")),
    }[who]()
    with pytest.raises(NotAllowed):
        services.partner_approve(actor=actor, partner=partner)
    with pytest.raises(NotAllowed):
        services.partner_refuse(actor=actor, partner=partner, reason="不行")
    partner.refresh_from_db()
    assert partner.status == "applied"


def test_refuse_needs_a_reason_and_is_final(applied, council):
    partner, applicant = applied
    with pytest.raises(InvalidInput):
        services.partner_refuse(actor=council, partner=partner, reason="  ")
    done = services.partner_refuse(actor=council, partner=partner, reason="资质材料不全")
    assert (done.status, done.status_reason) == ("refused", "资质材料不全")
    with pytest.raises(Conflict):
        services.partner_approve(actor=council, partner=partner)
    with pytest.raises(Conflict):
        services.partner_staff_add(actor=applicant, partner=partner, username="late", password=PASSWORD)


def test_admin_adds_staff_who_cannot_add_more(applied, council):
    partner, admin = applied
    services.partner_approve(actor=council, partner=partner)
    clerk = services.partner_staff_add(actor=admin, partner=partner, username="clerk1", password=PASSWORD,
                                       display_name="录入员")
    assert (clerk.role, clerk.partner_id) == ("partner", partner.pk) and clerk.check_password(PASSWORD)
    with pytest.raises(NotAllowed):
        services.partner_staff_add(actor=clerk, partner=partner, username="clerk2", password=PASSWORD)
    with pytest.raises(NotAllowed):
        services.partner_staff_add(actor=council, partner=partner, username="clerk3", password=PASSWORD)
    with pytest.raises(Conflict):
        services.partner_staff_add(actor=admin, partner=partner, username="CLERK1", password=PASSWORD)
    with pytest.raises(InvalidInput) as e:
        services.partner_staff_add(actor=admin, partner=partner, username="clerk4", password="123")
    assert "password" in e.value.fields
    with pytest.raises(InvalidInput):
        services.partner_staff_add(actor=admin, partner=partner, username="bad name!", password=PASSWORD)
    assert set(User.objects.filter(partner=partner).values_list("username", flat=True)) == {admin.username,
                                                                                          "clerk1"}


def test_admin_of_another_partner_cannot_add_staff(applied, make_user):
    partner, _ = applied
    other = services.partner_apply(applicant=make_user("consumer"), name="另一连锁", kind="chain",
                                   region_code="420100")
    other_admin = other.admins.get()
    with pytest.raises(NotAllowed):
        services.partner_staff_add(actor=other_admin, partner=partner, username="intruder", password=PASSWORD)


# ------------------------------------------------------------------ the API


ADMIN_PHONE = "13912340000"


@pytest.fixture
def apply_body(api, sms, django_capture_on_commit_callbacks):
    """The body of a partner application, with a code just sent to the admin's mobile over the API."""
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/partners/phone-code", {"phone": ADMIN_PHONE}).status_code == 202
    code = last_code(sms)

    def body(**extra):
        out = {"name": "汉味协会", "kind": "association", "region_code": "420100", "industries": ["catering"],
               "username": "hw-admin", "password": PASSWORD, "display_name": "李会长",
               "contact_phone": ADMIN_PHONE, "phone_code": code}
        out.update(extra)
        return out

    return body


def test_api_apply_approve_staff(apply_body, api, make_user, council):
    applicant = make_user("consumer")
    r = api.post("/partners/apply", apply_body(), as_=applicant)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "applied" and [i["code"] for i in body["industries"]] == ["catering"]
    pid = body["id"]
    # the consumer's own account is not converted; the new admin signs in with the password
    applicant.refresh_from_db()
    assert applicant.role == "consumer" and applicant.partner_id is None
    admin = User.objects.get(username="hw-admin")
    assert admin.role == "partner" and admin.partner_id == pid and admin.display_name == "李会长"
    token = api.post("/auth/token", {"username": "hw-admin", "password": PASSWORD}).json()["token"]
    assert api.get(f"/partners/{pid}", as_=applicant).status_code == 404
    assert api.post(f"/partners/{pid}/approve", {}, as_=token).status_code == 403
    assert api.post(f"/partners/{pid}/approve", {"onboard_status": "maybe"}, as_=council).status_code == 422
    r = api.post(f"/partners/{pid}/approve", {"onboard_status": "active"}, as_=council)
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = api.post(f"/partners/{pid}/staff", {"username": "xh-clerk", "password": PASSWORD}, as_=token)
    assert r.status_code == 201 and r.json()["admin"] is False
    assert api.post(f"/partners/{pid}/staff", {"username": "xh-clerk", "password": PASSWORD},
                    as_=token).status_code == 409
    assert api.get(f"/partners/{pid}", as_=token).json()["name"] == "汉味协会"


def test_api_apply_without_signing_in_as_on_the_web(apply_body, api, db):
    r = api.post("/partners/apply", apply_body(kind="platform", industries=[]))
    assert r.status_code == 201, r.content
    assert User.objects.get(username="hw-admin").partner_id == r.json()["id"]
    assert Partner.objects.get(pk=r.json()["id"]).admins.get().username == "hw-admin"


def test_api_apply_is_refused_to_staff_accounts(apply_body, api, make_user, business, applied):
    partner, partner_admin = applied
    for who in (make_user("business", business=business), make_user("council", region="420100"),
                make_user("operator"), partner_admin):
        r = api.post("/partners/apply", apply_body(), as_=who)
        assert r.status_code == 403 and r.json()["error"]["code"] == "staff_account", r.content
    assert not Partner.objects.filter(name="汉味协会").exists()
    assert api.post("/partners/apply", apply_body(), as_="garbage").status_code == 401


@pytest.mark.parametrize(("change", "field"), [
    ({"password": "short"}, "password"),
    ({"password": "password123"}, "password"),
    ({"password": ""}, "password"),
    ({"username": ""}, "username"),
    ({"username": "李 会长"}, "username"),
    ({"username": "x" * 151}, "username"),
    ({"industries": []}, "industries"),
    ({"region_code": "999999"}, "region_code"),
    ({"kind": "bank"}, "kind"),
    ({"name": ""}, "name"),
    ({"contact_phone": "12345"}, "contact_phone"),
    ({"contact_phone": ""}, "contact_phone"),
    ({"phone_code": ""}, "phone_code"),
    ({"phone_code": "12a456"}, "phone_code"),
])
def test_api_apply_bad_input_is_422_on_the_field(apply_body, api, make_user, change, field):
    r = api.post("/partners/apply", apply_body(**change), as_=make_user("consumer"))
    assert r.status_code == 422 and field in r.json()["error"]["fields"], r.content
    assert not Partner.objects.exists() and not User.objects.filter(role="partner").exists()


@pytest.mark.parametrize("field", ["username", "password", "contact_phone", "phone_code"])
def test_api_apply_needs_username_and_password(apply_body, api, db, field):
    body = apply_body()
    del body[field]
    r = api.post("/partners/apply", body)
    assert r.status_code == 422 and field in r.json()["error"]["fields"]


def test_api_apply_says_a_name_is_taken_but_not_a_username_until_the_phone_is_proved(apply_body, api, applied,
                                                                                     make_user, sms):
    """From the side of a stranger probing for accounts: with no code, or a wrong one, the answer for a
    taken username is the answer for a free one; only the right code makes it say "taken"."""
    partner, _ = applied
    make_user("council", region="420100", username="HW-Admin")
    answers = {}
    for username in ("hw-admin", "free-name-2026"):
        for code in ("", "000000"):
            r = api.post("/partners/apply", apply_body(username=username, phone_code=code))
            assert r.status_code == 422, r.content
            # the tries left count down with every wrong code, whoever's username it is
            answers[username, code] = {k: re.sub(r"\d+", "N", v) for k, v in r.json()["error"]["fields"].items()}
            assert "username" not in answers[username, code] and "phone_code" in answers[username, code]
    assert answers["hw-admin", ""] == answers["free-name-2026", ""]
    assert answers["hw-admin", "000000"] == answers["free-name-2026", "000000"]
    # a partner's name is public: said at once, beside the other errors, the username still not
    r = api.post("/partners/apply", apply_body(name=partner.name))
    fields = r.json()["error"]["fields"]
    assert r.status_code == 422 and "同名" in fields["name"] and "username" not in fields
    body = apply_body()  # the right code
    r = api.post("/partners/apply", body)
    assert r.status_code == 422 and "已被使用" in r.json()["error"]["fields"]["username"], r.content
    # the refused application leaves the code usable: another username goes through with it
    r = api.post("/partners/apply", {**body, "username": "hw-admin-2"})
    assert r.status_code == 201, r.content
    admin = User.objects.get(username="hw-admin-2")
    assert admin.mobile == ADMIN_PHONE and admin.mobile_verified_at is not None
    assert Partner.objects.count() == 2


def test_api_hides_a_partner_from_those_outside(apply_body, api, applied, make_user):
    partner, _ = applied
    for outsider in (make_user("council", region="110000"), make_user("consumer")):
        assert api.get(f"/partners/{partner.pk}", as_=outsider).status_code == 404
        assert api.post(f"/partners/{partner.pk}/approve", {}, as_=outsider).status_code == 404
        assert api.post(f"/partners/{partner.pk}/refuse", {"reason": "x"}, as_=outsider).status_code == 404
    assert api.post(f"/partners/{partner.pk}/approve", {}).status_code == 401
    assert api.post("/partners/apply", apply_body(extra=1), as_=make_user("consumer")).status_code == 422


def test_api_refuse_with_reason(api, applied, council):
    partner, applicant = applied
    assert api.post(f"/partners/{partner.pk}/refuse", {"reason": ""}, as_=council).status_code == 422
    r = api.post(f"/partners/{partner.pk}/refuse", {"reason": "资质材料不全"}, as_=council)
    assert r.status_code == 200 and r.json()["status_reason"] == "资质材料不全"
    assert api.get(f"/partners/{partner.pk}", as_=applicant).json()["status"] == "refused"


def test_api_refusal_in_the_requests_language(api, applied, council):
    partner, _ = applied
    services.partner_approve(actor=council, partner=partner)
    r = api.post(f"/partners/{partner.pk}/approve", {}, as_=council)
    assert r.status_code == 409 and r.json()["error"]["message"] == "合作方当前状态为「已通过」，不能审核通过"
    r = api.post(f"/partners/{partner.pk}/approve", {}, as_=council, headers={"Accept-Language": "en"})
    assert r.status_code == 409 and r.json()["error"]["message"] == "The partner is Approved; it cannot be approved"
