"""The export selector: one row per order of the view, with the view's filters,
scoped to the jurisdiction, and consumers' personal data masked unless the
staff member is allowed to see it (``hejie.oversight.privacy``)."""

from __future__ import annotations

import datetime as dt

import pytest

from hejie.accounts import privacy
from hejie.oversight.exports import export_rows, header
from hejie.oversight.orders import parse_filters
from tests.oversight.test_dashboard import order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def orders(make_business, make_user):
    wuhan = make_business("江岸热干面", region="420102")
    yichang = make_business("宜昌商店", region="420502")
    c = make_user("consumer", phone="13912345678", display_name="欧阳修")
    a = order(wuhan, c, created=NOW - dt.timedelta(days=2), settled_after=dt.timedelta(hours=3))
    a.description = "请打 +86 139 1234 5678 或 13800001111，身份证 42010219900101123X，邮箱 ouyang.xiu@qq.com"
    a.save(update_fields=["description"])
    b = order(wuhan, c, created=NOW - dt.timedelta(days=20), failed=True)
    y = order(yichang, c, created=NOW - dt.timedelta(days=2))
    return {"a": a, "b": b, "y": y}


def rows(user, **filters):
    return list(export_rows(user, parse_filters(user, filters), now=NOW))


def test_rows_follow_the_view_and_the_jurisdiction(orders, council):
    everything = rows(council)
    assert everything[0] == header()
    assert [r[0] for r in everything[1:]] == [orders["a"].number, orders["b"].number]  # newest first, no Yichang
    failed = rows(council, figure="failed")
    assert [r[0] for r in failed[1:]] == [orders["b"].number]
    a = everything[1]
    assert a[2] == "和解成功" and a[3] == "江岸热干面" and a[5] == "湖北省武汉市江岸区"
    assert a[13] == 3.0  # hours to settle
    assert a[1] == (orders["a"].created_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")  # Shanghai time


def test_personal_data_is_masked_for_staff_without_the_right(orders, council):
    a = rows(council)[1]
    assert a[17] == "139****5678" and a[18] == "欧**"
    text = a[19]
    assert "139****5678" in text and "138****1111" in text
    assert "1234 5678" not in text and "13800001111" not in text
    assert "420102************" in text and "19900101" not in text
    assert "o***@qq.com" in text and "ouyang" not in text


def test_staff_with_the_right_see_it_in_full(orders, council):
    council.sees_personal_data = True
    a = rows(council)[1]
    assert a[17] == "13912345678" and a[18] == "欧阳修" and "139 1234 5678" in a[19]


def test_the_right_is_for_council_staff_and_operators_only(make_user, business):
    assert not privacy.may_see_personal_data(make_user("consumer", sees_personal_data=True))
    assert not privacy.may_see_personal_data(make_user("business", business=business, sees_personal_data=True))
    assert not privacy.may_see_personal_data(make_user("council", region="420100"))
    assert privacy.may_see_personal_data(make_user("council", region="420100", sees_personal_data=True))
    assert privacy.may_see_personal_data(make_user("operator", sees_personal_data=True))
    assert not privacy.may_see_personal_data(None)


@pytest.mark.parametrize(("text", "expected"), [
    ("电话13912345678。", "电话139****5678。"),
    ("tel: 139-1234-5678", "tel: 139****5678"),
    ("订单号 2026031512345678901", "订单号 2026031512345678901"),  # a long number that is not a phone
    ("金额 138 元", "金额 138 元"),
])
def test_scrub(text, expected):
    assert privacy.scrub(text) == expected


def test_names_are_masked_to_their_first_character():
    assert privacy.mask_name("张三") == "张*"
    assert privacy.mask_name("欧阳修") == "欧**"
    assert privacy.mask_name("") == ""


def test_rows_hold_the_text_as_typed_and_the_writer_neutralises_it(orders, council):
    """The rows are the values; ``core.spreadsheets`` keeps them from being formulas
    (tests/security/test_export_injection.py downloads every export)."""
    from hejie.core.spreadsheets import csv_lines

    a = orders["a"]
    a.description = '=HYPERLINK("http://evil.example","点我")'
    a.save(update_fields=["description"])
    row = rows(council)[1]
    assert row[19] == a.description
    assert "'=HYPERLINK(" in "".join(csv_lines([row]))


def test_operators_export_the_whole_country(orders, make_user):
    operator = make_user("operator")
    assert {r[0] for r in rows(operator)[1:]} == {orders[k].number for k in ("a", "b", "y")}
