"""Reading a partner's file of businesses: CSV or xlsx to rows of text.

* CSV: UTF-8 (with or without a BOM); if it is not UTF-8, GB18030 (what Excel
  in China writes when one picks "CSV" rather than "CSV UTF-8"; GB18030 is a
  superset of GBK and GB2312). UTF-16 (Excel's "Unicode text") is refused with
  a hint, as is anything that decodes to neither.
* xlsx: openpyxl in read-only (streaming) mode, first sheet. Formulas are
  never evaluated: a cell whose content starts with "=" is refused as a
  formula (and openpyxl is asked for the formulas, not cached results). A CSV
  cell starting with "=" is refused the same way (a spreadsheet opening the
  file would run it).
* Headers are matched leniently: English names, Chinese names, case, spaces
  and full-width forms do not matter. Unknown, duplicated or missing columns
  refuse the whole file with the list of what was found.
* Limits: ``HEJIE_IMPORT_MAX_ROWS`` (100,000) data rows and
  ``HEJIE_IMPORT_MAX_BYTES`` (32 MiB); beyond either the file is refused.

File-level problems raise ``InvalidInput`` (field ``file``) or ``TooLarge``;
row-level problems are the caller's business (see ``services``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hejie.core.errors import InvalidInput, TooLarge, invalid

FIELDS = ("name", "credit_code", "industry", "region_code", "address", "contact_name", "contact_phone", "stores",
          "order_volume")
REQUIRED = ("name", "credit_code", "industry", "region_code")

ALIASES = {
    "name": ("name", "business_name", "名称", "商户名称", "企业名称", "经营者名称", "商户"),
    "credit_code": ("credit_code", "uscc", "统一社会信用代码", "信用代码", "社会信用代码"),
    "industry": ("industry", "行业", "所属行业", "行业代码"),
    "region_code": ("region_code", "region", "地区代码", "区域代码", "行政区划代码", "地区", "区域", "所在地区"),
    "address": ("address", "地址", "经营地址", "详细地址"),
    "contact_name": ("contact_name", "contact", "联系人"),
    "contact_phone": ("contact_phone", "phone", "联系电话", "电话", "手机", "手机号"),
    "stores": ("stores", "门店"),
    "order_volume": ("order_volume", "orders", "订单量", "订单数"),
}


def _norm_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return "".join(text.replace("-", "_").split())


_HEADER_MAP = {_norm_header(alias): field for field, aliases in ALIASES.items() for alias in aliases}


def max_rows() -> int:
    return int(getattr(settings, "HEJIE_IMPORT_MAX_ROWS", 100_000))


def max_bytes() -> int:
    return int(getattr(settings, "HEJIE_IMPORT_MAX_BYTES", 32 * 1024 * 1024))


def _file_error(message: str, code: str = "invalid") -> InvalidInput:
    return invalid("file", message, code=code)


class Formula(str):
    """A cell that held a formula: refused, never evaluated."""


class Number(str):
    """A cell the spreadsheet stored as a number (a credit code so stored has lost its letters or digits)."""


def _decodes_as(data: memoryview, encoding: str) -> bool:
    """Whether all of ``data`` decodes, checked a MiB at a time (the text is not kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    step = 1 << 20
    try:
        for i in range(0, len(data), step):
            decoder.decode(data[i:i + step], final=i + step >= len(data))
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text_stream(data: bytes) -> io.TextIOWrapper:
    """The file as a stream of text (never one string of the whole file): UTF-8 with or without a
    BOM, else GB18030; refused with a hint when it is UTF-16, binary or neither."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_error(_("文件是UTF-16编码，请另存为“CSV UTF-8”或xlsx"), "encoding")
    body = memoryview(data)[3:] if data.startswith(b"\xef\xbb\xbf") else memoryview(data)
    if _decodes_as(body, "utf-8"):
        encoding = "utf-8-sig"
    elif _decodes_as(body, "gb18030"):
        encoding = "gb18030"
    else:
        raise _file_error(_("无法识别文件编码：请使用UTF-8或GB18030（GBK）编码的CSV，或xlsx"), "encoding")
    if b"\x00" in data:  # a NUL byte is a NUL character in both encodings
        raise _file_error(_("文件含有二进制内容，不是CSV"), "encoding")
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = _text_stream(data)
    sample = text.read(4096)
    text.seek(0)
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        for row in csv.reader(text, delimiter=delimiter):
            # a spreadsheet would run "=..." as a formula when the file is opened: refused as in xlsx
            yield [Formula(c) if c.lstrip().startswith("=") else c for c in row]
    except csv.Error as exc:
        raise _file_error(_("CSV格式错误：%(error)s") % {"error": exc}) from None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return Formula(value) if value.startswith("=") else value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        return Number(text)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    import openpyxl  # imported here: only xlsx needs it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _file_error(_("无法读取xlsx文件（%(error)s）") % {"error": type(exc).__name__}) from None
    except Exception:  # openpyxl raises many kinds on a broken workbook; none is the user's 500
        raise _file_error(_("无法读取xlsx文件")) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        book.close()


def is_xlsx(filename: str, data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04") or (filename or "").lower().endswith((".xlsx", ".xlsm"))


def too_large() -> TooLarge:
    """The refusal of a file over ``max_bytes()``."""
    return TooLarge(_("文件超过%(mb)dMB") % {"mb": max_bytes() // (1024 * 1024)})


def read_rows(*, filename: str, data: bytes) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The columns found and an iterator of (line, {field: text}) for every
    non-blank data row. Raises on an empty file, bad columns, over the limits."""
    if len(data) > max_bytes():
        raise too_large()
    if not data.strip():
        raise _file_error(_("文件是空的"), "empty")
    rows = _xlsx_rows(data) if is_xlsx(filename, data) else _csv_rows(data)

    header: list[str] | None = None
    line = 0
    for raw in rows:
        line += 1
        if any(str(c).strip() for c in raw):
            header = raw
            break
    if header is None:
        raise _file_error(_("文件是空的"), "empty")

    columns: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for cell in header:
        key = _norm_header(cell)
        if not key:
            columns.append(None)
            continue
        field = _HEADER_MAP.get(key)
        if field is None:
            unknown.append(str(cell).strip()[:40])
        elif field in seen:
            raise _file_error(_("列重复：%(first)s 与 %(second)s 都表示 %(field)s")
                              % {"first": seen[field], "second": str(cell).strip()[:40], "field": field}, "columns")
        else:
            seen[field] = str(cell).strip()[:40]
        columns.append(field)
    missing = [f for f in REQUIRED if f not in seen]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(_("缺少列：%(columns)s") % {"columns": ", ".join(missing)})
        if unknown:
            parts.append(_("不认识的列：%(columns)s") % {"columns": ", ".join(unknown[:10])})
        raise _file_error(
            _("表头不正确：%(problems)s。需要的列：%(expected)s（可用中文：名称、统一社会信用代码、行业、地区代码、地址、联系人、联系电话、门店、订单量）")  # noqa: E501
            % {"problems": pgettext("between list items", "；").join(parts), "expected": ", ".join(FIELDS)}, "columns")

    header_line = line
    limit = max_rows()

    def body() -> Iterator[tuple[int, dict[str, str]]]:
        n = 0
        for offset, raw in enumerate(rows, start=1):
            if not any(str(c).strip() for c in raw):
                continue
            n += 1
            if n > limit:
                raise TooLarge(_("文件超过%(limit)s行，请拆分后分批导入") % {"limit": f"{limit:,}"},
                               code="too_many_rows")
            values: dict[str, str] = {}
            for i, field in enumerate(columns):
                if field is not None and i < len(raw):
                    values[field] = raw[i]
            extra = [c for c in raw[len(columns):] if str(c).strip()]
            if extra:
                values["_extra"] = "1"
            yield header_line + offset, values

    return [c for c in columns if c], body()
