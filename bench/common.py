"""What the benchmarks share: logging and checks, a statement counter, the scratch
PostgreSQL database, the worker subprocess each database runs in, and the bulk load.

Django reads its settings at import, so each database runs in a worker subprocess
(the bench script again, with ``--worker sqlite|postgres``) with its own
environment: a fresh temporary ``HEJIE_DATA_DIR`` for SQLite, or the scratch
database ``hejie_bench`` (dropped, created, and dropped again) for PostgreSQL. The
worker prints its results as JSON on its last line of stdout.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgres://postgres@localhost:5432/test"
BENCH_DB_NAME = "hejie_bench"
LOAD_BATCH = 10_000


class BenchError(AssertionError):
    pass


def check(condition, message: str) -> None:
    """An assertion that ``python -O`` does not remove."""
    if not condition:
        raise BenchError(message)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", file=sys.stderr, flush=True)


class QueryCounter:
    """``connection.execute_wrapper`` hook: counts every statement, by verb and table.

    (CaptureQueriesContext keeps at most 9000 queries — the connection's
    ``queries_log`` is a bounded deque — so it undercounts a large pass.)"""

    TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)

    def __init__(self):
        self.total = 0
        self.kinds: Counter = Counter()
        self.seconds: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.total += 1
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        match = self.TABLE.search(sql) if verb in ("SELECT", "INSERT", "UPDATE", "DELETE") else None
        kind = f"{verb} {match.group(1)}" if match else verb
        self.kinds[kind] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds[kind] += time.perf_counter() - started


def pg_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pg_admin(base_url: str, sql: str) -> None:
    import psycopg

    url = base_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def run_worker(script: str, db: str, worker_args: list[str], *, base_pg_url: str, log_level: str = "WARNING",
               keep: bool = False, db_name: str = BENCH_DB_NAME) -> dict:
    """Run ``script --worker db worker_args…`` in its own environment (module docstring) and return
    the JSON it printed. ``keep`` leaves the SQLite folder and the PostgreSQL database behind;
    ``db_name`` lets two benches use the server at once."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["HEJIE_SECRET_KEY"] = secrets.token_urlsafe(32)
    env["HEJIE_LOG_LEVEL"] = log_level
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    data_dir = Path(tempfile.mkdtemp(prefix=f"hejie-bench-{Path(script).stem}-{db}-"))
    env["HEJIE_DATA_DIR"] = str(data_dir)
    drop = f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'
    if db == "postgres":
        pg_admin(base_pg_url, drop)
        pg_admin(base_pg_url, f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = pg_url(base_pg_url, db_name)
    command = [sys.executable, str(Path(script).resolve()), "--worker", db, *worker_args]
    try:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    finally:
        if keep:
            log(f"{db}: kept {data_dir}" + (f" and database {db_name}" if db == "postgres" else ""))
        else:
            if db == "postgres":
                pg_admin(base_pg_url, drop)
            shutil.rmtree(data_dir, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{db}: the worker failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bulk_load(model, fields: list, rows: Callable[[int, int], Iterable[list]], n: int) -> float:
    """Insert ``n`` rows of ``model`` (``rows(start, stop)`` yields each as the values of ``fields``),
    ``LOAD_BATCH`` per transaction: COPY on PostgreSQL, one prepared statement elsewhere. Returns
    the seconds it took."""
    from django.db import connection, transaction

    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    started = time.perf_counter()
    for start in range(0, n, LOAD_BATCH):
        stop = min(n, start + LOAD_BATCH)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows(start, stop):
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                                   list(rows(start, stop)))
        if stop % 100_000 == 0 or stop == n:
            log(f"loaded {stop:,} / {n:,} ({stop / (time.perf_counter() - started):,.0f} rows/s)")
    return time.perf_counter() - started
