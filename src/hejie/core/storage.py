"""Where uploaded files live: local disk (the embedded default) or a private S3-compatible bucket.

Evidence, draft files and the files of black-list appeals are stored through Django's default
storage (``STORAGES["default"]``). Without ``HEJIE_S3_BUCKET`` that is ``FileSystemStorage`` under
``MEDIA_ROOT``; with it, django-storages' ``S3Storage`` on a private bucket (``s3_storage``
builds its settings, so that ``hejie.settings`` and the tests configure it the same way).

A stored file is never given to a browser by a URL of the bucket: every download goes through a
view that checks who may see it and then streams the bytes (``open_stream``, used by
``core.http.stored_file_response``). A presigned URL would be a bearer link to the file for its
whole lifetime (forwarded, logged by a proxy, kept in a browser history), would need the bucket
to be reachable from every phone (it is often on a closed network), and could not carry the
headers the view sets (``Content-Security-Policy: sandbox``, ``nosniff``). Files are at most
``HEJIE_EVIDENCE_MAX_BYTES`` (10 MB), so streaming them through the web process costs little.
``querystring_auth`` stays on all the same: anything that asks the storage for a URL gets a
signed one that ends after ``QUERYSTRING_EXPIRE`` seconds, never a public one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # hejie.settings imports this module: nothing of Django's is imported at its top
    from django.core.files.storage import Storage
    from django.db.models.fields.files import FieldFile

log = logging.getLogger(__name__)

S3_BACKEND = "hejie.core.bucket.BucketStorage"  # django-storages' S3Storage, its boto3 sessions shared
QUERYSTRING_EXPIRE = 60  # seconds; no page or API answer hands out a bucket URL (see above)
CHUNK = 256 * 1024


def s3_storage(*, bucket: str, endpoint_url: str | None = None, access_key: str | None = None,
               secret_key: str | None = None, region: str = "us-east-1",
               addressing_style: str | None = None) -> dict[str, Any]:
    """The ``STORAGES`` entry for a private S3-compatible bucket.

    No ACL is sent (``default_acl=None``: the object is as private as the bucket, and buckets
    with ACLs disabled accept it); names are never overwritten (a second file under a taken
    name gets another); signed URLs only. Without keys, boto3 finds its own (an instance role,
    ``~/.aws``). An endpoint (MinIO, Ceph, moto, a cloud's S3 API) is addressed by path unless
    ``addressing_style`` says ``virtual`` (Alibaba's OSS needs that)."""
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "region_name": region or "us-east-1",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": QUERYSTRING_EXPIRE,
        "file_overwrite": False,
        "signature_version": "s3v4",
        "addressing_style": addressing_style or ("path" if endpoint_url else None),
        # a file read back (a thumbnail, a draft filed) spills to a temporary file past 2 MB
        "max_memory_size": 2 * 1024 * 1024,
    }
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def is_bucket(storage: Storage) -> bool:
    """Whether ``storage`` is an S3 bucket (django-storages), rather than a local folder."""
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def bucket_key(storage: Storage, name: str) -> str:
    """The object key of a stored ``name`` in the bucket (the storage's ``location`` prefix, if any)."""
    from storages.utils import clean_name

    return str(storage._normalize_name(clean_name(name)))  # type: ignore[attr-defined]


def open_stream(field: FieldFile) -> IO[bytes]:
    """The stored file for reading from the start, without loading it whole: the object's body
    as the bucket sends it (read in chunks), or the local file. ``FileNotFoundError`` when it
    is not there."""
    storage, name = field.storage, str(field.name)
    if not is_bucket(storage):
        return storage.open(name, "rb")
    from botocore.exceptions import ClientError

    client = storage.connection.meta.client  # type: ignore[attr-defined]
    try:
        answer = client.get_object(Bucket=storage.bucket_name, Key=bucket_key(storage, name))  # type: ignore[attr-defined]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(name) from None
        raise
    body: IO[bytes] = answer["Body"]
    return body


def iter_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's bytes in chunks of ``CHUNK``, the stream closed at the end."""
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:
        stream.close()


def storage_check(storage: Storage) -> None:
    """Raise if ``storage`` cannot be reached: the bucket answers a HEAD (it exists and these keys
    may use it), or the local folder exists and is writable. For a readiness check."""
    if is_bucket(storage):
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)  # type: ignore[attr-defined]
        return
    location = getattr(storage, "location", None)
    if location is None:
        return
    os.makedirs(location, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise PermissionError(f"{location} is not writable")


def walk(storage: Storage, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
    """Every stored name under the folder ``prefix`` with its last modification (aware, UTC):
    one listing of the bucket by prefix, or a walk of the local folder."""
    prefix = prefix.strip("/") + "/"
    if is_bucket(storage):
        client = storage.connection.meta.client  # type: ignore[attr-defined]
        root = bucket_key(storage, prefix)
        strip = len(root) - len(prefix)  # the storage's own location prefix, if any
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket_name,  # type: ignore[attr-defined]
                                                                     Prefix=root):
            for entry in page.get("Contents", ()):
                yield entry["Key"][strip:], entry["LastModified"]
        return
    top = storage.path(prefix)
    for folder, _dirs, names in os.walk(top):
        for name in names:
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, storage.path("")).replace(os.sep, "/")
            yield relative, dt.datetime.fromtimestamp(os.path.getmtime(full), tz=dt.UTC)


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Turn a failure of the storage itself (the bucket out of reach or refusing the keys, a full
    disk) into ``Unavailable`` (503, "try again later"), logged with its cause. A file that is not
    there (``FileNotFoundError``) is left to the caller."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError
    from django.utils.translation import gettext as _

    from hejie.core.errors import Unavailable

    try:
        yield
    except FileNotFoundError:
        raise
    except (OSError, Boto3Error, BotoCoreError, ClientError) as exc:
        log.exception("the file storage failed")
        raise Unavailable(_("文件存储暂时不可用，请稍后再试"), fields={"file": "storage unavailable"}) from exc
