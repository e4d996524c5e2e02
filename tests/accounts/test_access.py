"""``hejie.accounts.access``: who may see and do what, table by table, from the
side of the one who must be refused.

The world: businesses A (江岸区 420102), B (江汉区 420103, A's sibling county)
and C (宜昌 420502, another prefecture of Hubei), all active, and D, an
application in 420102. Orders: ``oa`` on A by the consumer, ``ob`` on B and
``oc`` on C by the other consumer, ``og`` on A by a consumer since
deactivated. Partners P1 (武汉 420100) and P2 (湖南 430000). Every table lists
every person, so a new rule that lets someone in shows up as a diff.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from hejie.accounts import access
from hejie.accounts.access import Role
from hejie.businesses.models import Business
from hejie.complaints.models import Complaint, ComplaintEvent
from hejie.complaints.services import side_of
from hejie.complaints.states import Side
from hejie.partners.models import ImportBatch, Partner
from hejie.regions.models import Region

PEOPLE = (
    "consumer", "other_consumer", "staff_a", "admin_a", "staff_b", "council_province", "council_prefecture",
    "council_county", "council_sibling", "council_other_province", "operator", "superuser", "partner_staff",
    "inactive_consumer", "inactive_council", "inactive_admin", "anonymous", "nobody",
)


@pytest.fixture
def world(traveller, make_business, make_user):
    from hejie.complaints.services import complaint_submit

    a = make_business("甲店", region="420102")
    b = make_business("乙店", region="420103")
    c = make_business("丙店", region="420502")
    d = make_business("丁店", region="420102", status="applied")
    p1 = Partner.objects.create(name="武汉平台", kind="platform", region=Region.objects.get(code="420100"),
                                status="active")
    p2 = Partner.objects.create(name="湖南平台", kind="platform", region=Region.objects.get(code="430000"),
                                status="active")
    people = {
        "consumer": make_user("consumer"),
        "other_consumer": make_user("consumer"),
        "staff_a": make_user("business", business=a),
        "admin_a": make_user("business", business=a, is_business_admin=True),
        "staff_b": make_user("business", business=b, is_business_admin=True),
        "council_province": make_user("council", region="420000"),
        "council_prefecture": make_user("council", region="420100"),
        "council_county": make_user("council", region="420102"),
        "council_sibling": make_user("council", region="420103"),
        "council_other_province": make_user("council", region="430000"),
        "operator": make_user("operator"),
        "superuser": make_user("council", region="430000", is_superuser=True),
        "partner_staff": make_user("partner", partner=p1),
        "inactive_consumer": make_user("consumer"),
        "inactive_council": make_user("council", region="420000", is_active=False),
        "inactive_admin": make_user("business", business=a, is_business_admin=True, is_active=False),
        "anonymous": AnonymousUser(),
        "nobody": None,
    }
    assert tuple(people) == PEOPLE
    base = dict(problem_type="quality", description="质量问题，要求退款处理。", claim_type="refund", claim_amount=10)
    orders = {
        "oa": complaint_submit(consumer=people["consumer"], business_id=a.pk, **base),
        "ob": complaint_submit(consumer=people["other_consumer"], business_id=b.pk, **base),
        "oc": complaint_submit(consumer=people["other_consumer"], business_id=c.pk, **base),
        "og": complaint_submit(consumer=people["inactive_consumer"], business_id=a.pk, **base),
    }
    people["inactive_consumer"].is_active = False
    people["inactive_consumer"].save(update_fields=["is_active"])
    batches = {"b1": ImportBatch.objects.create(partner=p1, sha256="1" * 64),
               "b2": ImportBatch.objects.create(partner=p2, sha256="2" * 64)}
    return {"people": people, "orders": orders, "businesses": {"A": a, "B": b, "C": c, "D": d},
            "partners": {"P1": p1, "P2": p2}, "batches": batches}


def _names(rows, by_pk: dict) -> set[str]:
    names = {obj.pk: name for name, obj in by_pk.items()}
    return {names[pk] for pk in rows if pk in names}


def _table(world, ask) -> dict:
    return {name: ask(world["people"][name]) for name in PEOPLE}


# ------------------------------------------------------------------ orders

ALL_ORDERS = {"oa", "ob", "oc", "og"}
ORDERS_SEEN = {
    "consumer": {"oa"},
    "other_consumer": {"ob", "oc"},
    "staff_a": {"oa", "og"},
    "admin_a": {"oa", "og"},
    "staff_b": {"ob"},
    "council_province": ALL_ORDERS,
    "council_prefecture": {"oa", "ob", "og"},
    "council_county": {"oa", "og"},
    "council_sibling": {"ob"},
    "council_other_province": set(),
    "operator": ALL_ORDERS,
    "superuser": ALL_ORDERS,
    "partner_staff": set(),
    "inactive_consumer": set(),
    "inactive_council": set(),
    "inactive_admin": set(),
    "anonymous": set(),
    "nobody": set(),
}


def test_orders_visible_to_each_person(world):
    orders = world["orders"]
    seen = _table(world, lambda u: _names(Complaint.objects.visible_to(u).values_list("pk", flat=True), orders))
    assert seen == ORDERS_SEEN


def test_orders_q_with_a_prefix_scopes_rows_of_another_model(world):
    """The same rule reaches an order's events through ``complaint__``."""
    orders = world["orders"]

    def through_events(user):
        rows = ComplaintEvent.objects.filter(access.orders_q(user, prefix="complaint__"))
        return _names(rows.values_list("complaint_id", flat=True), orders)

    assert _table(world, through_events) == ORDERS_SEEN


ROLE_ON_OA = {
    "consumer": Role.CONSUMER,
    "other_consumer": None,
    "staff_a": Role.BUSINESS,
    "admin_a": Role.BUSINESS,
    "staff_b": None,
    "council_province": Role.COUNCIL,
    "council_prefecture": Role.COUNCIL,
    "council_county": Role.COUNCIL,
    "council_sibling": None,
    "council_other_province": None,
    "operator": Role.COUNCIL,
    "superuser": Role.COUNCIL,
    "partner_staff": None,
    "inactive_consumer": None,
    "inactive_council": None,
    "inactive_admin": None,
    "anonymous": None,
    "nobody": None,
}


def test_order_role_on_an_order_of_business_a(world):
    oa = world["orders"]["oa"]
    assert _table(world, lambda u: access.order_role(u, oa)) == ROLE_ON_OA


def test_side_of_is_order_role_as_a_side(world):
    oa = world["orders"]["oa"]
    sides = {Role.CONSUMER: Side.CONSUMER, Role.BUSINESS: Side.BUSINESS, Role.COUNCIL: Side.COUNCIL, None: None}
    assert _table(world, lambda u: side_of(u, oa)) == {name: sides[role] for name, role in ROLE_ON_OA.items()}


def test_an_inactive_consumer_plays_no_part_on_their_own_order(world):
    assert access.order_role(world["people"]["inactive_consumer"], world["orders"]["og"]) is None


def test_order_role_agrees_with_visibility(world):
    """Whoever plays a part on an order sees it, and whoever sees it plays a part."""
    for name in PEOPLE:
        user = world["people"][name]
        for key, order in world["orders"].items():
            assert (access.order_role(user, order) is not None) == (key in ORDERS_SEEN[name]), (name, key)


def test_nothing_is_answered_without_a_query(world, django_assert_num_queries):
    for name in ("partner_staff", "inactive_consumer", "anonymous", "nobody"):
        with django_assert_num_queries(0):
            assert list(Complaint.objects.visible_to(world["people"][name])) == []
            assert Complaint.objects.visible_to(world["people"][name]).count() == 0


# ------------------------------------------------------------------ businesses

PUBLIC = {"A", "B", "C"}
BUSINESSES_SEEN = {
    "consumer": PUBLIC,
    "other_consumer": PUBLIC,
    "staff_a": {"A"},
    "admin_a": {"A"},
    "staff_b": {"B"},
    "council_province": {"A", "B", "C", "D"},
    "council_prefecture": {"A", "B", "D"},
    "council_county": {"A", "D"},
    "council_sibling": {"B"},
    "council_other_province": set(),
    "operator": {"A", "B", "C", "D"},
    "superuser": {"A", "B", "C", "D"},
    "partner_staff": PUBLIC,
    "inactive_consumer": set(),
    "inactive_council": set(),
    "inactive_admin": set(),
    "anonymous": PUBLIC,
    "nobody": PUBLIC,
}


def test_businesses_each_person_sees(world):
    businesses = world["businesses"]
    seen = _table(world, lambda u: _names(
        Business.objects.filter(access.businesses_q(u)).values_list("pk", flat=True), businesses))
    assert seen == BUSINESSES_SEEN


def test_the_public_sees_active_businesses_only():
    assert access.ACTIVE_BUSINESS == Business.Status.ACTIVE


def test_who_oversees_business_a(world):
    a = world["businesses"]["A"]
    assert {n for n, yes in _table(world, lambda u: access.in_jurisdiction(u, a)).items() if yes} == {
        "council_province", "council_prefecture", "council_county", "operator", "superuser"}


def test_who_manages_business_a(world):
    a = world["businesses"]["A"]
    # staff_a is staff but not an admin; staff_b is the admin of another business
    assert {n for n, yes in _table(world, lambda u: access.may_manage_business(u, a)).items() if yes} == {
        "admin_a", "operator", "superuser"}


# ------------------------------------------------------------------ the jurisdiction rule


@pytest.mark.parametrize(("council", "inside", "outside"), [
    ("420000", ("420000", "420100", "420102", "420502"), ("430000", "430102")),
    ("420100", ("420100", "420102", "420103"), ("420000", "420502", "430102")),
    ("420102", ("420102",), ("420103", "420100", "420000")),
])
def test_a_region_contains_its_subtree_and_nothing_else(db, council, inside, outside):
    own = Region.objects.get(code=council)
    for code in inside + outside:
        region = Region.objects.get(code=code)
        assert access.within(own, region) is (code in inside), code
    found = set(Region.objects.filter(access.region_tree_q(own), code__in=inside + outside)
                .values_list("code", flat=True))
    assert found == set(inside)


def test_rows_carrying_region_codes_use_the_same_rule(world):
    wuhan = Region.objects.get(code="420100")
    assert access.jurisdiction_q(wuhan) == Q(region_l2="420100")
    assert access.jurisdiction_q(wuhan, "business__") == Q(business__region_l2="420100")
    businesses = world["businesses"]
    assert {n for n, b in businesses.items() if access.within(wuhan, b)} == {"A", "B", "D"}


# ------------------------------------------------------------------ partners and imports

PARTNERS_SEEN = {
    "council_province": {"P1"},
    "council_prefecture": {"P1"},
    "council_other_province": {"P2"},
    "operator": {"P1", "P2"},
    "superuser": {"P1", "P2"},
    "partner_staff": {"P1"},
}


def test_partners_each_person_sees(world):
    partners = world["partners"]
    seen = _table(world, lambda u: _names(
        Partner.objects.filter(access.partners_q(u)).values_list("pk", flat=True), partners))
    assert seen == {name: PARTNERS_SEEN.get(name, set()) for name in PEOPLE}


def test_imports_each_person_sees(world):
    batches = world["batches"]
    seen = _table(world, lambda u: _names(
        ImportBatch.objects.filter(access.imports_q(u)).values_list("pk", flat=True), batches))
    expected = {"operator": {"b1", "b2"}, "superuser": {"b1", "b2"}, "partner_staff": {"b1"}}
    assert seen == {name: expected.get(name, set()) for name in PEOPLE}


def test_only_a_partners_own_staff_are_its_staff(world):
    p1, p2 = world["partners"]["P1"], world["partners"]["P2"]
    assert {n for n, yes in _table(world, lambda u: access.is_partner_staff_of(u, p1.pk)).items() if yes} == {
        "partner_staff"}
    assert not any(_table(world, lambda u: access.is_partner_staff_of(u, p2.pk)).values())
    assert not any(_table(world, lambda u: access.is_partner_staff_of(u, None)).values())


# ------------------------------------------------------------------ roles and rights

ROLES = {
    "consumer": {"consumer"},
    "other_consumer": {"consumer"},
    "staff_a": {"business"},
    "admin_a": {"business", "business_admin"},
    "staff_b": {"business", "business_admin"},
    "council_province": {"council", "overseer"},
    "council_prefecture": {"council", "overseer"},
    "council_county": {"council", "overseer"},
    "council_sibling": {"council", "overseer"},
    "council_other_province": {"council", "overseer"},
    "operator": {"operator", "overseer"},
    "superuser": {"council", "operator", "overseer"},
    "partner_staff": {"partner"},
}
PREDICATES = {
    "consumer": access.is_consumer, "business": access.is_business_staff, "business_admin": access.is_business_admin,
    "council": access.is_council, "operator": access.is_operator, "overseer": access.is_overseer,
    "partner": access.is_partner_staff,
}


def test_role_predicates(world):
    held = _table(world, lambda u: {p for p, ask in PREDICATES.items() if ask(u)})
    assert held == {name: ROLES.get(name, set()) for name in PEOPLE}


def test_role_of(world):
    people = world["people"]
    assert access.role_of(people["council_county"]) is Role.COUNCIL
    for name in ("inactive_council", "anonymous", "nobody"):
        assert access.role_of(people[name]) is None


def test_personal_data_only_for_granted_council_staff_and_operators(make_user):
    refused = [
        make_user("consumer", sees_personal_data=True),
        make_user("council", region="420100"),
        make_user("operator"),
        make_user("council", region="420100", sees_personal_data=True, is_active=False),
        AnonymousUser(),
        None,
    ]
    for user in refused:
        assert not access.may_see_personal_data(user), user
    for user in (make_user("council", region="420100", sees_personal_data=True),
                 make_user("operator", sees_personal_data=True)):
        assert access.may_see_personal_data(user), user


def test_personal_data_is_refused_to_business_and_partner_staff_even_if_flagged(world):
    people = world["people"]
    for name in ("admin_a", "partner_staff"):
        user = people[name]
        user.sees_personal_data = True
        assert not access.may_see_personal_data(user), name


# On order "oa" (consumer's, delivered to business A in 420102): who reads the consumer's personal data.
PERSONAL_DATA_ON_OA = {"consumer", "staff_a", "admin_a", "granted_prefecture", "granted_operator"}


def test_personal_data_on_an_order_from_the_side_of_each_person(world, make_user):
    people = {**world["people"], "granted_prefecture": make_user("council", region="420100", sees_personal_data=True),
              "granted_sibling": make_user("council", region="420103", sees_personal_data=True),
              "granted_operator": make_user("operator", sees_personal_data=True)}
    oa = Complaint.objects.select_related("business").get(pk=world["orders"]["oa"].pk)
    allowed = {name for name, user in people.items() if access.may_see_personal_data_on(user, oa)}
    assert allowed == PERSONAL_DATA_ON_OA
    as_filter = {name for name, user in people.items()
                 if Complaint.objects.filter(access.personal_data_q(user), pk=oa.pk).exists()}
    assert as_filter == PERSONAL_DATA_ON_OA


def test_a_suspended_business_holds_the_right_on_no_order_and_sees_no_queued_one(world):
    from hejie.complaints.services import complaint_submit

    a = world["businesses"]["A"]
    Business.objects.filter(pk=a.pk).update(status="suspended")
    staff = type(world["people"]["staff_a"]).objects.get(pk=world["people"]["staff_a"].pk)  # as a request loads it
    queued = complaint_submit(consumer=world["people"]["consumer"], business_id=a.pk, problem_type="price",
                              description="价格欺诈，要求退款处理。", claim_type="refund", claim_amount=10)
    assert queued.state == "pending_review" and queued.business_id == a.pk
    oa = Complaint.objects.select_related("business").get(pk=world["orders"]["oa"].pk)
    assert access.order_role(staff, oa) == Role.BUSINESS and not access.may_see_personal_data_on(staff, oa)
    assert not access.business_holds_personal_data(oa) and not access.may_see_personal_data_sent(staff)
    assert access.order_role(staff, queued) is None
    assert set(Complaint.objects.visible_to(staff).values_list("pk", flat=True)) == {
        world["orders"]["oa"].pk, world["orders"]["og"].pk}
    assert not Complaint.objects.filter(access.personal_data_q(staff)).exists()


def test_only_staff_with_a_usable_password_change_it(world):
    people = world["people"]
    for user in people.values():
        if user is not None and user.is_authenticated:
            user.set_password("a-long-password-1")
    allowed = {n for n, yes in _table(world, access.may_change_password).items() if yes}
    assert allowed == set(ROLES) - {"consumer", "other_consumer"}
    people["staff_a"].set_unusable_password()
    assert not access.may_change_password(people["staff_a"])


def test_account_kinds_do_not_depend_on_being_active(world):
    people = world["people"]
    assert access.is_consumer_account(people["inactive_consumer"])
    assert not access.is_staff_account(people["inactive_consumer"])
    assert access.is_staff_account(people["inactive_council"])
    for name in ("anonymous", "nobody"):
        assert not access.is_consumer_account(people[name]) and not access.is_staff_account(people[name])


def test_who_may_become_an_organisations_first_admin(world):
    people = world["people"]
    assert access.may_become_staff(people["consumer"])
    for name in ("staff_a", "council_county", "operator", "partner_staff", "anonymous", "nobody"):
        assert not access.may_become_staff(people[name]), name


def test_only_consumers_file(world):
    assert {n for n, yes in _table(world, access.may_file_complaints).items() if yes} == {
        "consumer", "other_consumer"}


# ------------------------------------------------------------------ who is told


def test_business_staff_are_the_active_accounts_of_that_business(world):
    people, a = world["people"], world["businesses"]["A"]
    assert set(access.business_staff(a.pk)) == {people["staff_a"], people["admin_a"]}
    assert set(access.business_staff(a.pk, active_only=False)) == {
        people["staff_a"], people["admin_a"], people["inactive_admin"]}


def test_the_councils_told_of_an_order_are_those_over_it(world):
    people, oa = world["people"], world["orders"]["oa"]
    assert set(access.council_covering(oa)) == {
        people["council_province"], people["council_prefecture"], people["council_county"]}
    assert set(access.council_members(["420103", None, ""])) == {people["council_sibling"]}
    assert list(access.council_members([])) == []
