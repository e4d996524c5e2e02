import pytest

from hejie.accounts import selectors, services
from hejie.accounts.models import User
from hejie.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated

GOOD_PASSWORD = "Ruan-Gan-Mian-2026"


# --- user_create --------------------------------------------------------------


def test_create_business_staff(business):
    user = services.user_create(
        username="zhang",
        password=GOOD_PASSWORD,
        role="business",
        business_credit_code=business.credit_code.lower(),
        is_business_admin=True,
        display_name="张三",
    )
    user.refresh_from_db()
    assert (user.role, user.business, user.is_business_admin, user.display_name) == (
        User.Role.BUSINESS,
        business,
        True,
        "张三",
    )
    assert not user.is_staff and not user.is_superuser
    assert user.check_password(GOOD_PASSWORD) and user.password != GOOD_PASSWORD


def test_create_council_staff(db):
    user = services.user_create(username="wuhan-council", password=GOOD_PASSWORD, role="council", region_code="420100")
    assert (user.role, user.region.full_name) == (User.Role.COUNCIL, "湖北省武汉市")
    assert User.objects.get(username="wuhan-council").region_id == "420100"
    assert not user.is_staff


def test_create_operator_gets_admin_rights(db):
    user = services.user_create(username="ops", password=GOOD_PASSWORD, role="operator")
    assert user.is_staff and user.is_superuser


def test_create_consumer_without_password(db):
    user = services.user_create(username="li", password=None, role="consumer", phone="+86 139 0013 9000")
    assert user.phone == "13900139000" and not user.has_usable_password()


@pytest.mark.parametrize("role", ["admin", "", "CONSUMERS"])
def test_unknown_role(db, role):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=GOOD_PASSWORD, role=role)
    assert exc.value.fields.keys() == {"role"}


def test_business_staff_need_a_business(db):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=GOOD_PASSWORD, role="business")
    assert exc.value.fields.keys() == {"business"}


def test_unknown_business(db):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(
            username="x", password=GOOD_PASSWORD, role="business", business_credit_code="91420100MA000000X0"
        )
    assert exc.value.fields.keys() == {"business"}
    assert "91420100MA000000X0" in exc.value.message


def test_council_staff_need_a_region(db):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=GOOD_PASSWORD, role="council")
    assert exc.value.fields.keys() == {"region"}


@pytest.mark.parametrize("code", ["999999", "4201", "abcdef"])
def test_unknown_region(db, code):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=GOOD_PASSWORD, role="council", region_code=code)
    assert exc.value.fields.keys() == {"region"}


def test_business_or_region_on_the_wrong_role_is_refused(business):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(
            username="x",
            password=GOOD_PASSWORD,
            role="council",
            region_code="420100",
            business_credit_code=business.credit_code,
        )
    assert exc.value.fields.keys() == {"business"}
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=GOOD_PASSWORD, role="operator", region_code="420100")
    assert exc.value.fields.keys() == {"region"}
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=GOOD_PASSWORD, role="operator", is_business_admin=True)
    assert exc.value.fields.keys() == {"is_business_admin"}


@pytest.mark.parametrize("password", ["short1", "password123", "12345678"])
def test_bad_password_uses_django_validators(db, password):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=password, role="operator")
    assert exc.value.fields.keys() == {"password"}
    assert exc.value.fields["password"] in exc.value.message
    assert not User.objects.filter(username="x").exists()


def test_staff_need_a_password(db):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password="", role="operator")
    assert exc.value.fields.keys() == {"password"}


def test_consumer_needs_a_phone(db):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username="x", password=None, role="consumer")
    assert exc.value.fields.keys() == {"phone"}


@pytest.mark.parametrize("username", ["", "   ", "has space", "x" * 151])
def test_bad_username(db, username):
    with pytest.raises(InvalidInput) as exc:
        services.user_create(username=username, password=GOOD_PASSWORD, role="operator")
    assert exc.value.fields.keys() == {"username"}


def test_duplicate_username_conflicts_case_insensitively(db):
    services.user_create(username="ops", password=GOOD_PASSWORD, role="operator")
    for name in ["ops", "OPS"]:
        with pytest.raises(Conflict) as exc:
            services.user_create(username=name, password=GOOD_PASSWORD, role="operator")
        assert exc.value.status == 409 and "username" in exc.value.fields
    assert User.objects.count() == 1


def test_duplicate_phone_conflicts(consumer):
    with pytest.raises(Conflict) as exc:
        services.user_create(username="other", password=None, role="consumer", phone=consumer.phone)
    assert "phone" in exc.value.fields


# --- password sign-in ---------------------------------------------------------


@pytest.fixture
def manager(business):
    return services.user_create(
        username="manager", password=GOOD_PASSWORD, role="business", business_credit_code=business.credit_code
    )


def test_password_sign_in(manager):
    assert services.password_authenticate(username="manager", password=GOOD_PASSWORD) == manager
    assert services.password_authenticate(username=" manager ", password=GOOD_PASSWORD) == manager


def test_wrong_password_and_unknown_user_get_one_message(manager):
    errors = []
    for username, password in [("manager", "wrong-password"), ("nobody", GOOD_PASSWORD), ("manager", "")]:
        with pytest.raises(Unauthenticated) as exc:
            services.password_authenticate(username=username, password=password)
        errors.append((exc.value.code, exc.value.message))
    assert len(set(errors)) == 1
    assert errors[0][0] == "bad_credentials"


def test_disabled_staff_refused(manager):
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    with pytest.raises(Unauthenticated):
        services.password_authenticate(username="manager", password=GOOD_PASSWORD)


def test_consumer_has_no_password_sign_in(consumer):
    with pytest.raises(Unauthenticated):
        services.password_authenticate(username=consumer.username, password="")


# --- selectors ----------------------------------------------------------------


def test_user_get_and_list(consumer, staff, council):
    assert selectors.user_get(username=staff.username) == staff
    with pytest.raises(NotFound):
        selectors.user_get(username="nobody")
    assert list(selectors.user_list(role="council")) == [council]
    assert set(selectors.user_list()) == {consumer, staff, council}
    assert selectors.user_get_by_phone(phone="+8613800138000") == consumer
