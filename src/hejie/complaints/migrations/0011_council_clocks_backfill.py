"""The open items of the council's queues get their deadlines, counted from when they arrived (as if
the clocks had always run): orders in the review queue (not those waiting for their business to claim
its account) and mediations under way. Counted by the one rule (``hejie.workdays.calendar``), with the
policy row as it is now. Running it again changes nothing (only rows without a deadline)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from hejie.workdays.calendar import add_workdays

    Policy = apps.get_model("complaints", "Policy")
    Complaint = apps.get_model("complaints", "Complaint")
    Mediation = apps.get_model("complaints", "Mediation")
    policy = Policy.objects.filter(pk=1).first()
    review = policy.review_workdays if policy else 7
    mediation = policy.mediation_workdays if policy else 45
    queued = (Complaint.objects.filter(state="pending_review", review_by__isnull=True)
              .exclude(review_reason="awaiting_claim").values_list("pk", "created_at"))
    for pk, created_at in queued.iterator():
        Complaint.objects.filter(pk=pk).update(review_by=add_workdays(created_at, review))
    for pk, requested_at in Mediation.objects.filter(outcome="", decide_by__isnull=True).values_list(
            "pk", "requested_at").iterator():
        Mediation.objects.filter(pk=pk).update(decide_by=add_workdays(requested_at, mediation))


class Migration(migrations.Migration):

    dependencies = [
        ("complaints", "0010_council_clocks"),
        ("workdays", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
