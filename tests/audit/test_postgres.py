"""PostgreSQL: the database itself refuses to change or remove an audit record (a trigger), and two
writers at once still make one unbroken chain (the head's row lock)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from hejie.audit.models import AuditRecord
from hejie.audit.services import audit_record, verify_records
from tests.concurrency import race

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@pytest.mark.django_db
@pytest.mark.parametrize("sql", ["UPDATE audit_auditrecord SET action = 'x'", "DELETE FROM audit_auditrecord"])
def test_the_trigger_refuses_update_and_delete(make_user, sql):
    audit_record(actor=make_user("operator"), action="policy.edit")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditRecord.objects.get().action == "policy.edit"


@pytest.mark.django_db
def test_the_trigger_refuses_truncate_unless_the_session_allows_it(make_user):
    audit_record(actor=make_user("operator"), action="policy.edit")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL hejie.audit_truncate = ''")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("TRUNCATE audit_auditrecord")
        assert AuditRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_make_one_chain(reference_data, make_user):
    actor = make_user("operator")

    def write(tag):
        def run():
            for n in range(10):
                audit_record(actor=actor, action="policy.edit", detail={"writer": tag, "n": n})
            return tag
        return run

    assert race(write("a"), write("b")) == ["a", "b"]
    assert sorted(AuditRecord.objects.values_list("seq", flat=True)) == list(range(1, 21))
    assert list(verify_records()) == []
