"""Every CSV and XLSX the platform writes goes through here, so that no cell is a formula.

Text that people typed (a business's name, a consumer's description) reaches the council's
spreadsheets and the public open-data CSV. A cell starting with ``=``, ``+``, ``-``, ``@``, a
tab, a carriage return or a line feed is read by Excel, LibreOffice and Google Sheets as a
formula (``=HYPERLINK(...)`` sends the reader's data away, ``+cmd|' /C calc'!A0`` runs a program
through DDE). The rule, once (``safe_cell``), as OWASP advises against CSV injection: such a cell
gets a leading apostrophe, which shows it as the text it is. Numbers stay numbers: an int, a
float or a Decimal is written as it is, and so is a string that is only a number (``-12.5``),
which no spreadsheet reads as a formula.

The writers: ``csv_lines`` turns rows into CSV lines (for a streamed response) and
``XlsxWriter`` fills an openpyxl write-only sheet; both pass every cell through ``safe_cell``,
and the XLSX writer also writes every string as a string cell (openpyxl would otherwise store a
str starting with ``=`` as a formula) and drops the control characters XML cannot carry (which
would make openpyxl raise on a consumer's text). A new export uses them instead of
``csv.writer`` or ``Workbook.append``; ``tests/security/test_export_injection.py`` opens every
export with the csv module and openpyxl and fails on a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

Cell = str | int | float | Decimal | dt.date | dt.datetime | None

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# The characters XML 1.0 cannot hold (openpyxl refuses them with IllegalCharacterError).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Cell) -> Cell:
    """``value`` as a spreadsheet may show it: a string that a spreadsheet would read as a
    formula gets a leading apostrophe; anything else (numbers, dates, None, plain text) is
    returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Cell]) -> list[Cell]:
    return [safe_cell(value) for value in row]


class _Echo:
    """A file-like object whose ``write`` returns what it was given: ``csv.writer`` then
    returns each line, for a streamed response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Cell]], *, bom: bool = True, lineterminator: str = "\r\n") -> Iterator[str]:
    """The rows as CSV text, line by line (None as an empty cell), every cell through
    ``safe_cell``; with a UTF-8 byte-order mark first when ``bom`` (Excel then reads the Chinese)."""
    writer = csv.writer(_Echo(), lineterminator=lineterminator)
    first = True
    for row in rows:
        line: str = writer.writerow(["" if value is None else value for value in safe_row(row)])
        if first and bom:
            line = "\ufeff" + line
        first = False
        yield line
    if first and bom:
        yield "\ufeff"


class XlsxWriter:
    """An openpyxl write-only workbook with one sheet, rows appended through ``safe_cell``,
    every string written as a string cell (never a formula), then saved to a file."""

    def __init__(self, title: str) -> None:
        from openpyxl import Workbook  # imported here: only the XLSX exports need it

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title)

    def append(self, row: Iterable[Cell]) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells: list[Any] = []
        for value in safe_row(row):
            if isinstance(value, str):
                cell = WriteOnlyCell(self._sheet, value=_ILLEGAL_XML.sub("", value))
                cell.data_type = "s"  # a string, whatever it starts with
                cells.append(cell)
            else:
                cells.append(value)
        self._sheet.append(cells)

    def save(self, target: IO[bytes]) -> None:
        self._book.save(target)


class XlsxBook:
    """A small formatted workbook (a report, not an export of many rows): several sheets, each with
    a bold frozen header row, column widths and number formats; every cell through ``safe_cell``,
    every string a string cell. Dates and numbers stay real dates and numbers."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self._book = Workbook()
        self._first = True

    def sheet(self, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]], *,
              widths: Sequence[int] | None = None, formats: dict[int, str] | None = None,
              notes: Sequence[str] = ()) -> None:
        """Add a sheet: ``notes`` (lines of text) above the header, the header frozen, ``formats``
        by column index (0-based, e.g. ``"0.0%"``, ``"#,##0.00"``, ``"yyyy-mm-dd"``)."""
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        ws: Any
        if self._first:
            ws = self._book.active
            ws.title = title[:31]
            self._first = False
        else:
            ws = self._book.create_sheet(title[:31])
        formats = formats or {}
        r = 1
        for note in notes:
            self._put(ws, r, 1, note)
            r += 1
        for c, title_cell in enumerate(header, start=1):
            self._put(ws, r, c, title_cell).font = Font(bold=True)
        ws.freeze_panes = ws.cell(row=r + 1, column=1)
        for row in rows:
            r += 1
            for c, value in enumerate(row, start=1):
                cell = self._put(ws, r, c, value)
                if c - 1 in formats and not isinstance(value, str):
                    cell.number_format = formats[c - 1]
        for c, width in enumerate(widths or [], start=1):
            ws.column_dimensions[get_column_letter(c)].width = width

    @staticmethod
    def _put(ws: Any, row: int, column: int, value: Cell) -> Any:
        value = safe_cell(value)
        if isinstance(value, str):
            cell = ws.cell(row=row, column=column)
            cell.value = _ILLEGAL_XML.sub("", value)
            cell.data_type = "s"
            return cell
        return ws.cell(row=row, column=column, value=value)

    def save(self, target: IO[bytes]) -> None:
        self._book.save(target)
