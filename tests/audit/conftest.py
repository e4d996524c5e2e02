from __future__ import annotations

import pytest
from django.db import connection


def tamper(sql: str, params=()) -> None:
    """Change stored rows behind the app's back, as an intruder with database access would: on
    PostgreSQL past the audit trail's trigger (as the superuser the tests run as)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def supervisor(make_user):
    """An operator who may read the audit trail."""
    return make_user("operator", audit_supervisor=True, is_staff=True)
