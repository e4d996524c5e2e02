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


class Lease(models.Model):
    """A named lock with an expiry (``hejie.core.leases``): held by ``holder`` (a random token)
    until ``expires_at``, after which anyone may take it, so a holder that died frees it by time."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=64, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    acquired_at = models.DateTimeField(null=True, blank=True)
