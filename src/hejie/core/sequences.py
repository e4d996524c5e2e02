from django.db import transaction
from django.db.models import F

from hejie.core.models import Sequence


def next_value(key: str) -> int:
    """The next value of counter ``key``, atomically (row lock on PostgreSQL,
    the database write lock on SQLite)."""
    with transaction.atomic():
        updated = Sequence.objects.filter(key=key).update(value=F("value") + 1)
        if not updated:
            Sequence.objects.get_or_create(key=key, defaults={"value": 0})
            Sequence.objects.filter(key=key).update(value=F("value") + 1)
        return Sequence.objects.values_list("value", flat=True).get(key=key)
