"""Human-readable order numbers: HB-20260315-000123 (province, local date, daily serial)."""

from hejie.core import clock
from hejie.core.sequences import next_value

# ISO 3166-2:CN subdivision letters, by the first two digits of the GB/T 2260 code.
PROVINCE_ABBR = {
    "11": "BJ", "12": "TJ", "13": "HE", "14": "SX", "15": "NM", "21": "LN", "22": "JL", "23": "HL",
    "31": "SH", "32": "JS", "33": "ZJ", "34": "AH", "35": "FJ", "36": "JX", "37": "SD", "41": "HA",
    "42": "HB", "43": "HN", "44": "GD", "45": "GX", "46": "HI", "50": "CQ", "51": "SC", "52": "GZ",
    "53": "YN", "54": "XZ", "61": "SN", "62": "GS", "63": "QH", "64": "NX", "65": "XJ", "71": "TW",
    "81": "HK", "82": "MO",
}  # fmt: skip


def next_number(province_code: str) -> str:
    abbr = PROVINCE_ABBR.get(province_code[:2], "CN")
    day = clock.local_date().strftime("%Y%m%d")
    serial = next_value(f"no:{abbr}:{day}")
    return f"{abbr}-{day}-{serial:06d}"
