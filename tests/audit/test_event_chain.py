"""Each order's timeline is a hash chain over (order, seq, type, actor, moment, previous hash,
payload digest). ``verify_events`` finds an edited event, an edited payload, a removed event; the
payload check is skipped for orders whose personal data was pseudonymised, and the chain over the
stored digests still holds for them. The migration's backfill chains events written before it."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from hejie.audit import chain
from hejie.complaints import chain as event_chain
from hejie.complaints.models import Complaint, ComplaintEvent
from hejie.complaints.services import complaint_urge, message_post
from tests.audit.conftest import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(delivered, consumer, staff, council):
    message_post(actor=consumer, complaint=delivered, body="请尽快处理，电话 13800138000。")
    message_post(actor=staff, complaint=delivered, body="已收到，正在核实。")
    complaint_urge(actor=council, complaint=delivered, note="请按时答复")
    return delivered


def test_each_event_is_chained_to_the_one_before_on_its_order(order, file_complaint):
    other = file_complaint(order_ref="B-2")
    events = list(ComplaintEvent.objects.filter(complaint=order).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1)) and len(events) >= 4
    assert events[0].prev_hash == ""
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    for e in events:
        assert e.payload_digest == chain.payload_digest(e.payload)
        assert e.hash == e.compute_hash()
    assert ComplaintEvent.objects.get(complaint=other).seq == 1  # a chain per order
    assert list(event_chain.verify_events()) == []


def test_an_edited_payload_is_named_with_its_order(order):
    event = ComplaintEvent.objects.filter(complaint=order, type="message").order_by("seq").first()
    tamper("UPDATE complaints_complaintevent SET payload = %s WHERE id = %s", ['{"message_id": 0}', event.pk])
    assert [str(p) for p in event_chain.verify_events()] == [
        f"order {order.pk} event id={event.pk} seq={event.seq}: payload does not match its digest "
        "(the payload was edited)"]


def test_an_edited_actor_or_moment_breaks_the_hash(order, make_user):
    event = ComplaintEvent.objects.filter(complaint=order).order_by("seq")[1]
    tamper("UPDATE complaints_complaintevent SET actor_id = %s WHERE id = %s", [make_user("operator").pk, event.pk])
    problems = [str(p) for p in event_chain.verify_events()]
    assert problems == [f"order {order.pk} event id={event.pk} seq={event.seq}: hash does not match its fields "
                        "(the event was edited)"]


def test_a_removed_event_is_found(order):
    events = list(ComplaintEvent.objects.filter(complaint=order).order_by("seq"))
    tamper("DELETE FROM complaints_complaintevent WHERE id = %s", [events[1].pk])
    problems = [str(p) for p in event_chain.verify_events()]
    assert f"order {order.pk} event id={events[2].pk} seq=3: expected seq 2 (an event is missing or was inserted)" \
        in problems
    assert f"order {order.pk} event id={events[2].pk} seq=3: prev_hash does not match the event before it" in problems


def test_the_command_names_the_broken_order(order):
    event = ComplaintEvent.objects.filter(complaint=order).order_by("seq").last()
    tamper("UPDATE complaints_complaintevent SET hash = %s WHERE id = %s", ["f" * 64, event.pk])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert f"BROKEN order {order.pk} event id={event.pk}" in err.getvalue()


def test_a_pseudonymised_orders_payloads_are_not_checked_but_its_chain_is(order, monkeypatch):
    """The privacy purge masks personal data inside old payloads: the digests stay as written, so
    the chain over them still verifies; only the payload-against-digest check is skipped."""
    event = ComplaintEvent.objects.filter(complaint=order, type="urge").get()
    tamper("UPDATE complaints_complaintevent SET payload = %s WHERE id = %s",
           [json.dumps({"urge_id": event.payload["urge_id"], "note": "***"}), event.pk])
    assert len(list(event_chain.verify_events())) == 1
    Complaint.objects.filter(pk=order.pk).update(pseudonymised_at=order.created_at)
    assert list(event_chain.verify_events()) == []
    tamper("UPDATE complaints_complaintevent SET type = %s WHERE id = %s", ["message", event.pk])
    assert len(list(event_chain.verify_events())) == 1  # the chain itself is still checked


def test_the_migration_backfills_the_chain_of_events_written_before_it(order):
    count = ComplaintEvent.objects.filter(complaint=order).count()
    # as the column's defaults left them (a number out of the way: the numbers are unique per order)
    tamper("UPDATE complaints_complaintevent SET seq = seq + 1000, prev_hash = '', payload_digest = '', hash = ''")
    assert list(event_chain.verify_events())  # unchained: broken
    from importlib import import_module

    migration = import_module("hejie.complaints.migrations.0012_event_chain")
    state = MigrationLoader(connection).project_state(("complaints", "0012_event_chain"))

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.backfill(state.apps, editor)
    assert list(event_chain.verify_events()) == []
    assert sorted(ComplaintEvent.objects.filter(complaint=order).values_list("seq", flat=True)) == \
        list(range(1, count + 1))
