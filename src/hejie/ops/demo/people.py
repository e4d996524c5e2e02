"""The demo's people: the operator, the council staff and the consumers (the
businesses' staff accounts are made with their businesses)."""

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "hejie-admin-2026"  # noqa: S105 - published demo passwords, printed on every run
STAFF_PASSWORD = "hejie-demo-2026"  # noqa: S105
CONSUMER_PHONES = [f"139{n:08d}" for n in range(1, 21)]

# username, region, display name
COUNCILS = [
    ("council_hubei", "420000", "湖北省消委 周敏"),
    ("council_wuhan", "420100", "武汉市消委 陈立"),
    ("council_wuchang", "420106", "武昌区消委 刘静"),
    ("council_yichang", "420500", "宜昌市消委 王磊"),
]
