"""Shared model pieces."""

from django.db import models

from hejie.core import clock


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        abstract = True


class Sequence(models.Model):
    """Named counters (order numbers per province and day)."""

    key = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)
