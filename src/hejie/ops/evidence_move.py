"""Moving the stored files from local disk to the bucket (``hejie evidence_to_s3``).

Every row that names a stored file (order evidence, draft files, the files of black-list
appeals) is taken in turn, by primary key, and its file made present in the bucket under the
same name, so no row changes. Each file is checked against the SHA-256 its row keeps, on disk
before it is sent and in the bucket after (the object is read back and hashed), and the object
carries that checksum in its metadata (``x-amz-meta-sha256``).

- Idempotent: an object already in the bucket whose metadata and size agree with its row costs
  one HEAD and is counted "already in the bucket"; one without that metadata (stored by the
  application itself once the bucket was on) is read back and hashed.
- Resumable: each file is one PUT, whole or absent (S3 has no half-written object), so a run
  that is stopped anywhere is finished by running it again.
- Nothing is lost: a file whose bytes disagree with its row's checksum is reported and not
  copied; local files are deleted only with ``delete_local``, each after its copy checked out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.files.storage import Storage
from django.db import models

from hejie.complaints.models import DraftFile, Evidence
from hejie.core.storage import CHUNK, bucket_key
from hejie.ratings.models import AppealFile

# what is moved: a label for the counts, and the model whose ``file`` names the stored file
KINDS: tuple[tuple[str, type[models.Model]], ...] = (
    ("evidence", Evidence), ("draft files", DraftFile), ("appeal files", AppealFile))


@dataclass
class Counts:
    rows: int = 0
    copied: int = 0
    present: int = 0
    missing: int = 0
    mismatched: int = 0
    deleted_local: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self, label: str, *, dry_run: bool) -> str:
        copied = "to copy" if dry_run else "copied"
        text = (f"{label}: {self.rows} file(s): {self.copied} {copied}, {self.present} already in the bucket, "
                f"{self.missing} missing, {self.mismatched} checksum mismatch(es)")
        return text + (f", {self.deleted_local} local copies deleted" if self.deleted_local else "")


def _sha256(stream: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        stream.close()
    return digest.hexdigest(), size


class Bucket:
    """The few object operations the move needs, on the bucket of an ``S3Storage``."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.client: Any = storage.connection.meta.client  # type: ignore[attr-defined]
        self.name: str = storage.bucket_name  # type: ignore[attr-defined]

    def head(self, name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            answer: dict[str, Any] = self.client.head_object(Bucket=self.name, Key=bucket_key(self.storage, name))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return answer

    def sha256(self, name: str) -> tuple[str, int]:
        body = self.client.get_object(Bucket=self.name, Key=bucket_key(self.storage, name))["Body"]
        return _sha256(body)

    def put(self, name: str, stream: IO[bytes], *, sha256: str, content_type: str) -> None:
        try:
            self.client.upload_fileobj(stream, self.name, bucket_key(self.storage, name), ExtraArgs={
                "Metadata": {"sha256": sha256}, "ContentType": content_type or "application/octet-stream"})
        finally:
            stream.close()

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=bucket_key(self.storage, name))


def _rows(model: type[models.Model]) -> Iterator[tuple[int, str, str, int, str]]:
    rows = (model._default_manager.exclude(file="").order_by("pk")
            .values_list("pk", "file", "sha256", "size", "content_type"))
    yield from rows.iterator(chunk_size=500)


def _object_ok(bucket: Bucket, name: str, head: dict[str, Any], sha256: str, size: int) -> bool:
    if head.get("Metadata", {}).get("sha256") == sha256 and head.get("ContentLength") == size:
        return True  # copied and checked by an earlier run
    return bucket.sha256(name) == (sha256, size)


def _one(bucket: Bucket, source: Storage, name: str, sha256: str, size: int, content_type: str,
         counts: Counts, *, dry_run: bool, delete_local: bool) -> None:
    head = bucket.head(name)
    if head is not None and _object_ok(bucket, name, head, sha256, size):
        counts.present += 1
        if delete_local and not dry_run and source.exists(name):
            source.delete(name)
            counts.deleted_local += 1
        return
    if not source.exists(name):
        if head is None:
            counts.missing += 1
            counts.problems.append(f"{name}: neither on local disk nor in the bucket")
        else:
            counts.mismatched += 1
            counts.problems.append(f"{name}: the object in the bucket does not match its checksum, "
                                   "and there is no local copy")
        return
    if _sha256(source.open(name, "rb")) != (sha256, size):
        counts.mismatched += 1
        counts.problems.append(f"{name}: the local file does not match its checksum; not copied")
        return
    if dry_run:
        counts.copied += 1
        return
    bucket.put(name, source.open(name, "rb"), sha256=sha256, content_type=content_type)  # replaces a wrong object
    if bucket.sha256(name) != (sha256, size):  # read back what the bucket keeps
        bucket.delete(name)
        counts.mismatched += 1
        counts.problems.append(f"{name}: the copy in the bucket did not match its checksum; removed")
        return
    counts.copied += 1
    if delete_local:
        source.delete(name)
        counts.deleted_local += 1


def evidence_to_bucket(*, source: Storage, target: Storage, dry_run: bool = False, delete_local: bool = False,
                       progress: Callable[[str], None] | None = None) -> dict[str, Counts]:
    """Copy every stored file that ``KINDS`` name from ``source`` (local disk) to ``target`` (the
    bucket), checking each against its row's SHA-256. Returns the counts by label."""
    bucket = Bucket(target)
    report: dict[str, Counts] = {}
    for label, model in KINDS:
        counts = report[label] = Counts()
        for _pk, name, sha256, size, content_type in _rows(model):
            counts.rows += 1
            _one(bucket, source, name, sha256, size, content_type, counts, dry_run=dry_run, delete_local=delete_local)
            if progress is not None and counts.rows % 500 == 0:
                progress(f"{label}: {counts.rows} file(s) looked at")
    return report
