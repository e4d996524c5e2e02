from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hejie.accounts import services
from hejie.accounts.models import ApiToken, User

GOOD_PASSWORD = "Ruan-Gan-Mian-2026"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- hejie token --------------------------------------------------------------


def test_token_for_a_new_phone_creates_the_consumer_and_prints_only_the_token(db):
    output = run("token", "--phone", "13800138000")
    raw = output.strip()
    assert output == raw + "\n" and " " not in raw and len(raw) >= 40
    user = User.objects.get(phone="13800138000")
    assert (user.role, user.username) == (User.Role.CONSUMER, "c13800138000")
    assert not user.has_usable_password()
    assert services.token_authenticate(raw) == user
    assert ApiToken.objects.get().label == "cli"


def test_token_for_a_known_phone_reuses_the_consumer(consumer):
    first = run("token", "--phone", "+86 138 0013 8000", "--label", "app").strip()
    second = run("token", "--phone", consumer.phone).strip()
    assert first != second
    assert services.token_authenticate(first) == services.token_authenticate(second) == consumer
    assert User.objects.filter(phone=consumer.phone).count() == 1
    assert set(ApiToken.objects.values_list("label", flat=True)) == {"app", "cli"}


def test_token_for_a_username(staff):
    raw = run("token", "--username", staff.username).strip()
    assert services.token_authenticate(raw) == staff


def test_token_for_an_unknown_username(db):
    with pytest.raises(CommandError, match="找不到用户"):
        run("token", "--username", "nobody")
    assert not ApiToken.objects.exists()


def test_token_for_a_bad_phone(db):
    with pytest.raises(CommandError, match="手机号"):
        run("token", "--phone", "12345")
    assert not User.objects.exists()


def test_token_for_a_staff_phone_is_not_a_consumer_token(make_user, business):
    make_user("business", business=business, phone="13900139000")
    with pytest.raises(CommandError, match="工作人员账号"):
        run("token", "--phone", "13900139000")
    assert not ApiToken.objects.exists()


def test_token_needs_exactly_one_of_phone_or_username(consumer):
    with pytest.raises(CommandError):
        run("token")
    with pytest.raises(CommandError):
        run("token", "--phone", consumer.phone, "--username", consumer.username)


# --- hejie user ---------------------------------------------------------------


def test_user_create_business_staff(business):
    output = run(
        "user", "create", "--username", "zhang", "--password", GOOD_PASSWORD,
        "--role", "business", "--business", business.credit_code, "--business-admin",
    )  # fmt: skip
    user = User.objects.get(username="zhang")
    assert (user.role, user.business, user.is_business_admin) == (User.Role.BUSINESS, business, True)
    assert user.check_password(GOOD_PASSWORD)
    assert "zhang" in output and business.credit_code in output


def test_user_create_council_staff(db):
    output = run(
        "user", "create", "--username", "wh", "--password", GOOD_PASSWORD, "--role", "council", "--region", "420100"
    )
    assert User.objects.get(username="wh").region_id == "420100"
    assert "420100" in output


def test_user_create_operator_and_consumer(db):
    run("user", "create", "--username", "ops", "--password", GOOD_PASSWORD, "--role", "operator")
    run("user", "create", "--username", "li", "--role", "consumer", "--phone", "13900139000")
    ops, li = User.objects.get(username="ops"), User.objects.get(username="li")
    assert ops.is_superuser and ops.is_staff
    assert (li.role, li.phone, li.has_usable_password()) == (User.Role.CONSUMER, "13900139000", False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "council", "--region", "999999"], "未知的地区代码"),
        (["--role", "business"], "统一社会信用代码"),
        (["--role", "business", "--business", "91420100MA000000X0"], "未找到统一社会信用代码"),
        (["--role", "wizard"], "未知的角色"),
        (["--role", "operator", "--password", "123"], "密码不符合要求"),
    ],
)
def test_user_create_errors_are_command_errors(db, args, message):
    if "--password" not in args:
        args = [*args, "--password", GOOD_PASSWORD]
    with pytest.raises(CommandError, match=message):
        run("user", "create", "--username", "x", *args)
    assert not User.objects.filter(username="x").exists()


def test_user_create_duplicate_username(staff):
    with pytest.raises(CommandError, match="已被使用"):
        run("user", "create", "--username", staff.username, "--password", GOOD_PASSWORD, "--role", "operator")


def test_user_create_without_password_does_not_prompt_when_not_interactive(db):
    with pytest.raises(CommandError, match="--password"):
        run("user", "create", "--username", "ops", "--role", "operator", "--no-input")
    assert not User.objects.exists()


def test_user_needs_a_subcommand(db):
    with pytest.raises(CommandError):
        run("user")


def test_user_list(consumer, staff, council):
    output = run("user", "list")
    lines = output.strip().splitlines()
    assert len(lines) == 3
    assert any(line.startswith(f"{staff.username}\tbusiness") and staff.business.credit_code in line for line in lines)
    assert "138****8000" in output and "13800138000" not in output  # phones masked
    council_only = run("user", "list", "--role", "council").strip().splitlines()
    assert council_only == [f"{council.username}\tcouncil\t\t420100"]
    with pytest.raises(CommandError, match="未知的角色"):
        run("user", "list", "--role", "wizard")
