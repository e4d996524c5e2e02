# The audit trail (hejie.audit.models); the head row of the chain is made here.

import hejie.core.clock
from django.db import migrations, models


def head(apps, schema_editor):
    apps.get_model("audit", "AuditHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='AuditHead',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('seq', models.PositiveBigIntegerField(default=0)),
                ('hash', models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='AuditRecord',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('seq', models.PositiveBigIntegerField(unique=True)),
                ('at', models.DateTimeField(db_index=True, default=hejie.core.clock.now)),
                ('actor_id', models.BigIntegerField(blank=True, null=True)),
                ('actor_username', models.CharField(blank=True, db_index=True, max_length=150)),
                ('role', models.CharField(blank=True, max_length=16)),
                ('action', models.CharField(db_index=True, max_length=64)),
                ('object_type', models.CharField(blank=True, max_length=64)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('jurisdiction', models.CharField(blank=True, max_length=12)),
                ('request_id', models.CharField(blank=True, max_length=128)),
                ('ip', models.CharField(blank=True, max_length=45)),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('prev_hash', models.CharField(blank=True, max_length=64)),
                ('hash', models.CharField(max_length=64)),
            ],
            options={
                'ordering': ['-seq'],
                'indexes': [models.Index(fields=['object_type', 'object_id'], name='audit_object')],
            },
        ),
        migrations.RunPython(head, migrations.RunPython.noop),
    ]
