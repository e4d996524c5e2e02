"""The audit trail: who did or saw what, when, from where. Append-only and chained.

Each ``AuditRecord`` carries its number (``seq``), the hash of the record before it
(``prev_hash``) and its own hash over a canonical JSON of its fields (``hejie.audit.chain``).
``AuditHead`` (one row) holds the last number and hash; a writer takes it under a row lock, so
concurrent writers chain one after another. Nothing in Hejie updates or deletes a record: the
model and its queryset refuse, and on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE
(migration 0002; TRUNCATE only passes with ``SET hejie.audit_truncate = 'allow'``, for the test
database's flush). ``hejie audit verify`` walks the chain and names the first record that breaks it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from hejie.audit import chain
from hejie.core import clock


class AuditQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("the audit trail is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("the audit trail is append-only")


class AuditRecord(models.Model):
    id = models.BigAutoField(primary_key=True)
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(default=clock.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)  # not a key: the trail outlives the account
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    jurisdiction = models.CharField(max_length=12, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("the audit trail is append-only")

    def chained_fields(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": chain.moment(self.at), "actor_id": self.actor_id,
            "actor_username": self.actor_username, "role": self.role, "action": self.action,
            "object_type": self.object_type, "object_id": self.object_id, "jurisdiction": self.jurisdiction,
            "request_id": self.request_id, "ip": self.ip, "detail": self.detail, "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return chain.record_hash(self.chained_fields())


class AuditHead(models.Model):
    """The end of the chain (one row, pk 1): the last record's number and hash."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
