"""Compile the translation catalogs (``locale/*/LC_MESSAGES/django.po``, each page area's
``locale/areas/<area>/*/LC_MESSAGES/django.po`` and each app's own
``<app>/locale/*/LC_MESSAGES/django.po``, which Django finds by itself → ``.mo``)
with the pure-Python Babel package, so no GNU gettext is needed.

The compiled ``.mo`` files are kept in the repository next to their ``.po``
(as Django itself ships them): ``make run`` and ``hejie serve`` need no tool
and write nothing into the package. After editing a ``.po`` run
``make translations`` (``python -m hejie.web.common.translations``); a test fails if a
committed ``.mo`` no longer matches its ``.po``. Babel is in the test extras.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2]
LOCALE_DIR = PACKAGE_DIR / "locale"


def po_files() -> list[Path]:
    return sorted([*LOCALE_DIR.glob("**/LC_MESSAGES/*.po"), *PACKAGE_DIR.glob("*/locale/*/LC_MESSAGES/*.po")])


def compile_po(po: Path) -> bytes:
    """The .mo bytes for ``po``; fuzzy entries are left out, as msgfmt does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    errors: list[tuple[object, object]] = [(m.id, err) for m, errs in catalog.check() for err in errs]
    header = po.read_text(encoding="utf-8").split("\n\n", 1)[0]
    # Babel stamps a missing date with the current time, so the .mo would differ on every machine.
    errors += [("", f"the header lacks {name}") for name in ("POT-Creation-Date", "PO-Revision-Date")
               if f'"{name}:' not in header]
    if errors:
        raise ValueError(f"{po}: {errors}")
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all(*, check: bool = False) -> list[Path]:
    """Write every .mo (or, with ``check``, only list those that are stale)."""
    stale = []
    for po in po_files():
        mo = po.with_suffix(".mo")
        data = compile_po(po)
        if not mo.exists() or mo.read_bytes() != data:
            stale.append(mo)
            if not check:
                mo.write_bytes(data)
    return stale


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = compile_all(check=check)
    for mo in stale:
        print(f"{'stale' if check else 'wrote'} {mo}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
