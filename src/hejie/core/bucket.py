"""The S3 storage backend Hejie configures (``core.storage.s3_storage``): django-storages'
``S3Storage`` with one boto3 session per set of credentials for the whole process.

``S3Storage`` makes a new boto3 session for each storage object and each thread, and a session
reads botocore's S3 service description anew (about 0.3 s). Here sessions are kept by
credentials and shared; boto3 sessions are not safe to use from two threads at once, so making
a connection from one is done under a lock (the connections themselves stay per thread)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from storages.backends.s3 import S3Storage

_sessions: dict[tuple[Any, ...], boto3.Session] = {}
_lock = threading.Lock()


class BucketStorage(S3Storage):
    def _create_session(self) -> boto3.Session:
        key = (self.session_profile, self.access_key, self.secret_key, self.security_token)
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = super()._create_session()
        return session

    @property
    def connection(self) -> Any:
        if getattr(self._connections, "connection", None) is None:
            with _lock:
                return S3Storage.connection.fget(self)
        return self._connections.connection

    @property
    def unsigned_connection(self) -> Any:
        if getattr(self._unsigned_connections, "connection", None) is None:
            with _lock:
                return S3Storage.unsigned_connection.fget(self)
        return self._unsigned_connections.connection
