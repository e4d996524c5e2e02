"""Each order's timeline becomes a hash chain (``hejie.audit.chain.event_hash``): the existing
events are numbered and chained in the order they were written, a chunk of orders at a time, each
chunk in a transaction of its own (no long lock on a big table; a run that stops is resumed by
running it again: it fills only the events without a hash)."""

from django.conf import settings
from django.db import migrations, models, transaction

from hejie.audit import chain

CHUNK = 500


def backfill(apps, schema_editor):
    Event = apps.get_model("complaints", "ComplaintEvent")
    Complaint = apps.get_model("complaints", "Complaint")
    last = 0
    while True:
        ids = list(Complaint.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return
        last = ids[-1]
        with transaction.atomic(using=schema_editor.connection.alias):
            pending = Event.objects.filter(complaint_id__in=ids, hash="")
            if not pending.exists():
                continue
            changed = []
            state: dict[int, tuple[int, str]] = {}
            for event in Event.objects.filter(complaint_id__in=ids).order_by("complaint_id", "created_at", "id"):
                seq, prev = state.get(event.complaint_id, (0, ""))
                if not event.hash:
                    event.seq = seq + 1
                    event.prev_hash = prev
                    event.payload_digest = chain.payload_digest(event.payload)
                    event.hash = chain.event_hash(
                        order_id=event.complaint_id, seq=event.seq, kind=event.type, actor_id=event.actor_id,
                        at=event.created_at, prev_hash=event.prev_hash, payload_digest=event.payload_digest)
                    changed.append(event)
                state[event.complaint_id] = (event.seq, event.hash)
            Event.objects.bulk_update(changed, ["seq", "prev_hash", "payload_digest", "hash"], batch_size=1000)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('complaints', '0011_council_clocks_backfill'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='complaintevent',
            name='hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='complaintevent',
            name='payload_digest',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='complaintevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='complaintevent',
            name='seq',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='complaintevent',
            constraint=models.UniqueConstraint(fields=('complaint', 'seq'), name='evt_chain_seq'),
        ),
    ]
