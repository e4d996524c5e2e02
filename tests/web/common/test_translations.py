"""Every string the pages show in Chinese has its English in a catalog.

Reads the templates and the Python code for the strings marked for translation
(``{% translate %}``, ``{% blocktranslate %}``, ``_()``, ``gettext()``...) and
looks each one up in the English catalogs (the common one and each area's)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

import hejie
from hejie.web.common.translations import po_files

ROOT = Path(hejie.__file__).resolve().parent
TRANSLATE = re.compile(r"""\{%\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')""")
BLOCK = re.compile(
    r"\{%\s*(?:blocktranslate|blocktrans)\b([^%]*)%\}(.*?)\{%\s*(?:endblocktranslate|endblocktrans)\s*%\}", re.S)
PY_CALL = re.compile(r"""\b(?:_|gettext|gettext_lazy|pgettext|ngettext|ngettext_lazy)\(\s*(?:"([^"]*)"|'([^']*)')""")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _block_msgid(options: str, body: str) -> str:
    body = re.split(r"\{%\s*plural\s*%\}", body)[0]  # a counted block's msgid is its singular
    body = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", body)
    if "trimmed" in options.split():
        body = " ".join(line.strip() for line in body.strip().splitlines())
    return body


def marked_strings() -> dict[str, str]:
    """msgid → where it was found."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in TRANSLATE.finditer(text):
            found.setdefault(match.group(1) or match.group(2), str(path.relative_to(ROOT)))
        for match in BLOCK.finditer(text):
            found.setdefault(_block_msgid(match.group(1), match.group(2)), str(path.relative_to(ROOT)))
    for path in sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts):
        for match in PY_CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1) or match.group(2), str(path.relative_to(ROOT)))
    return {msgid: where for msgid, where in found.items() if CJK.search(msgid)}


@functools.cache
def english_catalog() -> dict[str, str]:
    from babel.messages.pofile import read_po

    merged: dict[str, str] = {}
    for po in po_files():
        if po.parent.parent.name != "en":
            continue
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id and not message.fuzzy:
                    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                    msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
                    if msgstr:
                        merged.setdefault(msgid, msgstr)
    return merged


def test_the_scanner_finds_the_strings_it_should():
    strings = marked_strings()
    assert "跳到正文" in strings  # {% translate %} in base.html
    assert "第 %(n)s / %(total)s 页" in strings  # {% blocktranslate %} with variables
    assert "提交投诉" in strings  # _() in complaints/events.py (an EventType label)


@pytest.mark.parametrize("msgid", sorted(marked_strings()))
def test_every_chinese_string_has_english(msgid):
    catalog = english_catalog()
    assert msgid in catalog, f"no English for {msgid!r} (in {marked_strings()[msgid]}): add it to a .po"
