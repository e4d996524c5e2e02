"""Formula injection in exports (issue 15, finding 3), from the attacker's side.

An attacker names their business, or types a complaint's description, so that a spreadsheet
opening an export runs it: ``=HYPERLINK(...)`` sends the reader's data away, ``+cmd|...`` runs a
program through DDE. Every export is downloaded as its reader downloads it (the public open-data
CSV, the council's CSV and XLSX), parsed with the csv module and openpyxl, and no cell may be a
formula: a cell that starts with ``= + - @``, a tab, a carriage return or a line feed must start
with an apostrophe, and no XLSX cell may have the formula type. Numbers stay numbers.

A new export must be added to ``EXPORTS`` below (and write through ``hejie.core.spreadsheets``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from hejie.businesses.services import business_apply, business_approve
from hejie.complaints import services
from hejie.complaints.models import Complaint
from hejie.core.spreadsheets import FORMULA_START, XlsxWriter, csv_lines, safe_cell
from tests.conftest import make_credit_code

pytestmark = pytest.mark.django_db

# What an attacker can type into a name or a description (the services strip surrounding white
# space, so the tab and carriage-return forms are also stored directly, as a bulk load or an
# admin edit could leave them).
TYPED = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]
STORED = ["\t=1", "\r=1", "\n=1+1"]
TODAY = "2026-03-15"


def _cells_of_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def _cells_of_xlsx(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).active  # not read-only: each cell's data_type is read
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
        rows.append([cell.value for cell in row])
    return rows


def _no_formula(rows: list[list[object]]) -> None:
    for row in rows:
        for value in row:
            if isinstance(value, str) and value.startswith(FORMULA_START):
                assert value.startswith("'"), f"a live formula: {value!r}"
                raise AssertionError(f"cell starts with a formula character: {value!r}")


def _has(rows: list[list[object]], payload: str) -> bool:
    """Whether some cell is ``payload`` behind an apostrophe (XML reads a carriage return as a
    line feed, so an XLSX gives "\r" back as "\n")."""
    wanted = {"'" + payload, "'" + payload.replace("\r", "\n")}
    return any(value in wanted for row in rows for value in row)


@pytest.fixture
def attack(traveller, make_user, council):
    """Businesses that applied and were approved with a formula for a name, and orders against
    them whose descriptions are formulas too."""
    consumer = make_user("consumer", display_name="=1+1")
    orders = []
    for n, payload in enumerate(TYPED):
        applicant = make_user("consumer")
        business = business_apply(applicant=applicant, name=payload, credit_code=make_credit_code(900 + n),
                                  industry="catering", region_code="420102")
        business_approve(actor=council, business=business)
        orders.append(services.complaint_submit(
            consumer=consumer, business_id=business.pk, problem_type="quality",
            description=payload + " 商品有质量问题，要求退款。", claim_type="refund", claim_amount="38.00"))
    for payload, order in zip(STORED, orders, strict=False):
        Complaint.objects.filter(pk=order.pk).update(description=payload)
    return {"orders": orders, "consumer": consumer}


def _public_csv(client, council) -> list[list[object]]:
    r = client.get("/open-data/complaints.csv", {"from": TODAY, "to": TODAY})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    return _cells_of_csv(b"".join(r.streaming_content).decode("utf-8"))


def _council_csv(client, council) -> list[list[object]]:
    client.force_login(council)
    r = client.get("/council/orders/export.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    return _cells_of_csv(b"".join(r.streaming_content).decode("utf-8"))


def _council_xlsx(client, council) -> list[list[object]]:
    client.force_login(council)
    r = client.get("/council/orders/export.xlsx")
    assert r.status_code == 200
    return _cells_of_xlsx(b"".join(r.streaming_content))


def _council_12315_csv(client, council) -> list[list[object]]:
    client.force_login(council)
    r = client.get("/council/report/orders-12315.csv", {"year": "2026"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    return _cells_of_csv(b"".join(r.streaming_content).decode("utf-8"))


EXPORTS = {"open data CSV": _public_csv, "council CSV": _council_csv, "council XLSX": _council_xlsx,
           "12315 CSV": _council_12315_csv}


@pytest.mark.parametrize("export", EXPORTS.values(), ids=EXPORTS.keys())
def test_a_business_named_as_a_formula_is_text_in_every_export(client, attack, council, export):
    rows = export(client, council)
    assert len(rows) == 1 + len(TYPED)
    _no_formula(rows)
    for payload in TYPED:  # the name is there, as text
        assert _has(rows, payload), payload


@pytest.mark.parametrize("export", [_council_csv, _council_xlsx, _council_12315_csv],
                         ids=["council CSV", "council XLSX", "12315 CSV"])
def test_free_text_and_names_are_text_in_the_councils_exports(client, attack, council, export):
    council.sees_personal_data = True  # the consumer's name ("=1+1") and the text in full
    council.save(update_fields=["sees_personal_data"])
    rows = export(client, council)
    _no_formula(rows)
    for payload in [*STORED, "=1+1"]:
        assert _has(rows, payload), repr(payload)


def test_numbers_stay_numbers(client, attack, council):
    rows = _council_xlsx(client, council)
    amount = rows[0].index("诉求金额（元）")
    assert all(row[amount] == 38 and isinstance(row[amount], int | float) for row in rows[1:])  # a number cell
    assert safe_cell(-38.5) == -38.5 and safe_cell(Decimal("-1")) == Decimal("-1") and safe_cell(-2) == -2
    assert safe_cell("-12.50") == "-12.50" and safe_cell("+3") == "+3"  # a number written as text is no formula
    assert safe_cell(None) is None and safe_cell("正常文字") == "正常文字" and safe_cell("") == ""
    assert safe_cell(dt.date(2026, 3, 15)) == dt.date(2026, 3, 15)


@pytest.mark.parametrize("payload", [*TYPED, *STORED, "-1+2", "@", "=", "+", "-"])
def test_the_writers_neutralise_every_form(payload):
    rows = [["h"], [payload, -5, 1.5]]
    parsed = _cells_of_csv("".join(csv_lines(rows)))
    assert parsed[1] == ["'" + payload, "-5", "1.5"]
    book = XlsxWriter("x")
    for row in rows:
        book.append(row)
    out = io.BytesIO()
    book.save(out)
    cells = _cells_of_xlsx(out.getvalue())
    assert _has(cells, payload) and cells[1][1] == -5 and cells[1][2] == 1.5


def test_text_xml_cannot_hold_does_not_break_the_workbook():
    book = XlsxWriter("x")
    book.append(["a\x00b\x07c\x1f", "=x\x0b"])
    out = io.BytesIO()
    book.save(out)
    assert _cells_of_xlsx(out.getvalue()) == [["abc", "'=x"]]
