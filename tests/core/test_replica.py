"""A read replica for the read-heavy pages (``hejie.core.replica``), tested with a second database
on the same server: each database is migrated on its own, a business is written to each, and a
process configured with ``DATABASE_REPLICA_URL`` serves the public directory from the replica,
keeps the signed-in council member (sessions and accounts) on the primary, and writes only there.

A real replica would hold the primary's rows by replication; two databases holding *different*
rows is what lets the test see where each query went."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

SCRIPT = r"""
import django, json, sys
django.setup()
from django.db import connections
from django.test import Client
from hejie.accounts.models import User
from hejie.businesses.models import Business, Industry
from hejie.regions.models import Region

assert set(connections) == {"default", "replica"}, set(connections)
region = Region.objects.get(code="420102")
def shop(name, using):
    return Business.objects.using(using).create(
        name=name, name_initials="x", credit_code=name[-18:], industry=Industry.objects.using(using).get(code="other"),
        region=Region.objects.using(using).get(code="420102"), **region.codes(), status="active")
shop("副本里的店91420102MA4K000011", "replica")
shop("主库里的店91420102MA4K000022", "default")
council = User.objects.create(username="wuhan", role="council", region=region)
client = Client()
client.force_login(council)  # the session is written to the primary
page = client.get("/businesses/?q=%E5%BA%97").content.decode()
board = client.get("/council/")
out = {"replica_shop": "副本里的店" in page, "primary_shop": "主库里的店" in page, "dashboard": board.status_code,
       "replica_users": User.objects.using("replica").count(), "primary_users": User.objects.count()}
print(json.dumps(out))
"""


def _run(env: dict, *args: str, script: str | None = None) -> str:
    cmd = [sys.executable, "-c", script] if script else [sys.executable, "-m", "hejie", *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "HEJIE_"))}
    return {**env, "DJANGO_SETTINGS_MODULE": "hejie.settings", "HEJIE_ALLOWED_HOSTS": "testserver",
            "HEJIE_LOG_LEVEL": "WARNING", **extra}


def _check(primary: dict, replica_url: str) -> None:
    import json

    out = json.loads(_run(_env(**primary, DATABASE_REPLICA_URL=replica_url), script=SCRIPT))
    assert out["replica_shop"] and not out["primary_shop"]  # the directory read the replica
    assert out["dashboard"] == 200  # the signed-in member was read from the primary (else: 302 to sign in)
    assert (out["primary_users"], out["replica_users"]) == (1, 0)  # writes went to the primary only


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the PostgreSQL run tests the PostgreSQL replica")
def test_public_pages_read_the_replica_sqlite(tmp_path: Path):
    primary, replica = tmp_path / "primary", tmp_path / "replica"
    _run(_env(HEJIE_DATA_DIR=str(primary)), "migrate", "-v0")
    replica.mkdir()
    shutil.copy(primary / "hejie.sqlite3", replica / "hejie.sqlite3")  # the same schema, as replication gives
    _check({"HEJIE_DATA_DIR": str(primary)}, f"sqlite:///{replica / 'hejie.sqlite3'}")


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="needs PostgreSQL (DATABASE_URL)")
def test_public_pages_read_the_replica_postgres():
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    names = [f"hejie_replica_{uuid.uuid4().hex[:8]}_{side}" for side in ("p", "r")]
    try:
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{names[0]}"')
        _run(_env(DATABASE_URL=f"{base}/{names[0]}"), "migrate", "-v0")
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:  # the same schema
            conn.execute(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"')
        _check({"DATABASE_URL": f"{base}/{names[0]}", "HEJIE_DB_POOL": "1:4"}, f"{base}/{names[1]}")
    finally:
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
