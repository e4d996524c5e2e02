"""The audit trail's chain: records written one after another are chained; editing, removing or
inserting a record is found by ``verify_records`` (and ``hejie audit verify``), naming the record;
the app itself can neither change nor remove a record."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from hejie.audit.models import AuditHead, AuditRecord
from hejie.audit.services import audit_record, verify_records
from hejie.core import context
from tests.audit.conftest import tamper

pytestmark = pytest.mark.django_db


def _three(actor):
    return [audit_record(actor=actor, action="policy.edit", object_type="policy", object_id=1, detail={"n": n})
            for n in range(3)]


def test_records_are_numbered_and_chained_and_the_head_follows(make_user):
    council = make_user("council", region="420100")
    a, b, c = _three(council)
    assert [a.seq, b.seq, c.seq] == [1, 2, 3]
    assert a.prev_hash == "" and b.prev_hash == a.hash and c.prev_hash == b.hash
    assert len({a.hash, b.hash, c.hash}) == 3
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (3, c.hash)
    assert (a.actor_username, a.role, a.jurisdiction) == (council.username, "council", "420100")
    assert list(verify_records()) == []


def test_the_request_id_and_the_address_of_the_request_are_recorded(make_user):
    rid, ip = context.request_id.set("req-42"), context.client_ip.set("203.0.113.9")
    try:
        record = audit_record(actor=make_user("operator"), action="policy.edit")
    finally:
        context.request_id.reset(rid)
        context.client_ip.reset(ip)
    record.refresh_from_db()
    assert (record.request_id, record.ip) == ("req-42", "203.0.113.9")
    assert record.compute_hash() == record.hash  # the stored row hashes to the same value


def test_the_app_cannot_change_or_remove_a_record(make_user):
    record = _three(make_user("operator"))[0]
    record.action = "nothing.happened"
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        AuditRecord.objects.filter(pk=record.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditRecord.objects.filter(pk=record.pk).delete()
    assert AuditRecord.objects.get(pk=record.pk).action == "policy.edit"


def test_an_edited_record_is_named(make_user):
    a, b, c = _three(make_user("operator"))
    tamper("UPDATE audit_auditrecord SET detail = %s WHERE id = %s", ['{"n": 99}', b.pk])
    problems = [str(p) for p in verify_records()]
    assert problems == [f"audit record id={b.pk} seq=2: hash does not match its fields (the record was edited)"]


def test_an_edited_hash_breaks_the_link_to_the_next_record(make_user):
    a, b, c = _three(make_user("operator"))
    tamper("UPDATE audit_auditrecord SET hash = %s WHERE id = %s", ["0" * 64, a.pk])
    problems = [str(p) for p in verify_records()]
    assert f"audit record id={a.pk} seq=1: hash does not match its fields (the record was edited)" in problems
    assert f"audit record id={b.pk} seq=2: prev_hash does not match the record before it" in problems


def test_a_removed_record_in_the_middle_or_at_the_end_is_found(make_user):
    a, b, c = _three(make_user("operator"))
    tamper("DELETE FROM audit_auditrecord WHERE id = %s", [b.pk])
    problems = [str(p) for p in verify_records()]
    assert any(p.startswith(f"audit record id={c.pk} seq=3: expected seq 2") for p in problems)
    tamper("DELETE FROM audit_auditrecord WHERE id = %s", [c.pk])
    problems = [str(p) for p in verify_records()]
    assert any(p.startswith("audit head: says seq 3, the chain ends at seq 1") for p in problems)


def test_the_command_says_intact_or_names_the_break_and_fails(make_user):
    a, b, c = _three(make_user("operator"))
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "audit trail: intact" in out.getvalue() and "order timelines: intact" in out.getvalue()
    tamper("UPDATE audit_auditrecord SET actor_username = %s WHERE id = %s", ["someone-else", c.pk])
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", stdout=out, stderr=err)
    assert exc.value.returncode == 1
    assert f"BROKEN audit record id={c.pk} seq=3: hash does not match" in err.getvalue()
    assert "audit trail: 1 break(s)" in out.getvalue()
