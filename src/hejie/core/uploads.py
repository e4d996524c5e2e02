"""The folder Django spools large uploads to (``FILE_UPLOAD_TEMP_DIR``).

Django deletes a spooled upload when its request ends; a process killed in the
middle of one (SIGKILL, the machine's OOM killer, a container stopped hard)
leaves the file behind. The folder is Hejie's own (under ``HEJIE_DATA_DIR``),
so everything in it is a spooled upload: ``upload_temp_clean`` deletes what is
older than an hour, which no request still running can be using (a spooled
file is written while the request arrives and read within seconds after).
It runs on every start (``hejie.ops``'s ``AppConfig.ready``, no database
needed) and with ``hejie drafts_purge``.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 3600


def upload_temp_dir() -> Path | None:
    """The spool folder, created if missing (owner only); None when Django uses the system's."""
    folder = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def upload_temp_clean(*, max_age_seconds: int = MAX_AGE_SECONDS, now: float | None = None) -> int:
    """Delete the spooled uploads older than ``max_age_seconds`` (by last write); returns how many.
    Only plain files directly in the folder are touched; a file that vanishes meanwhile is skipped."""
    try:
        folder = upload_temp_dir()
    except OSError as exc:
        log.warning("cannot create the upload spool folder: %s", exc)
        return 0
    if folder is None:
        return 0
    cutoff = (time.time() if now is None else now) - max_age_seconds
    removed = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("cannot delete the stale upload %s: %s", entry.path, exc)
    if removed:
        log.info("deleted %d spooled upload(s) left by killed requests in %s", removed, folder)
    return removed
