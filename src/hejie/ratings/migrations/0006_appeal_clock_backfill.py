"""Appeals waiting for a decision get their deadline, counted from when they were filed, by the one
rule (``hejie.workdays.calendar``) and the policy row as it is now. Only rows without one."""

from django.db import migrations


def backfill(apps, schema_editor):
    from hejie.workdays.calendar import add_workdays

    Policy = apps.get_model("complaints", "Policy")
    BlacklistAppeal = apps.get_model("ratings", "BlacklistAppeal")
    policy = Policy.objects.filter(pk=1).first()
    workdays = policy.appeal_workdays if policy else 15
    waiting = BlacklistAppeal.objects.filter(status="pending", decide_by__isnull=True).values_list("pk", "created_at")
    for pk, created_at in waiting.iterator():
        BlacklistAppeal.objects.filter(pk=pk).update(decide_by=add_workdays(created_at, workdays))


class Migration(migrations.Migration):

    dependencies = [
        ("ratings", "0005_appeal_clock"),
        ("complaints", "0010_council_clocks"),
        ("workdays", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
