"""``/healthz`` and ``/readyz`` (``hejie.ops.health``, ``hejie.ops.endpoints``): each failure
mode answers 503 naming the check that failed, for the right reason."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import requests
import time_machine

import hejie
from tests.conftest import redis_url

SRC = Path(hejie.__file__).resolve().parent.parent


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def every_call_checks(settings):
    """Each /readyz runs the checks (they are run at most once a second by default)."""
    from hejie.ops import health

    settings.HEJIE_READYZ_MIN_INTERVAL = 0
    health.forget()
    yield
    health.forget()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_healthz_answers_ok_without_touching_the_database(client):
    # no django_db mark: pytest-django makes any database access fail this test
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_names_each_check_when_all_pass(client, settings, media, traveller):
    settings.CELERY_BROKER_URL = None
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "failed": [], "warnings": [],
                               "checks": {"database": "ok", "broker": "not configured", "storage": "ok",
                                          "calendar": "ok"}}
    # the probe object went in and out again: nothing is left behind
    assert not [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.django_db
def test_readyz_checks_a_real_broker(client, settings, media):
    url = redis_url(0)
    if not _redis_up(url):
        pytest.skip(f"needs Redis at {url}")
    settings.CELERY_BROKER_URL = url
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_readyz_fails_on_a_broker_that_does_not_answer(client, settings, media, caplog):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failed"] == ["broker"]
    assert body["checks"]["broker"] == "OperationalError"  # the class only: no host or port to the caller
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
    assert "readiness check broker failed" in caplog.text  # the detail goes to the log


@pytest.mark.django_db
def test_readyz_fails_when_the_storage_cannot_be_written(client, settings, tmp_path):
    # a location under a regular file can be written by nobody, root included
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"
    settings.CELERY_BROKER_URL = None
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["storage"]
    assert body["checks"]["storage"] in {"NotADirectoryError", "FileExistsError"}
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_fails_on_storage_that_reads_back_something_else(client, settings, media, monkeypatch):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    monkeypatch.setattr(default_storage, "open", lambda name, mode="rb": ContentFile(b"something else", name=name))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["storage"] == "OSError"
    assert not [p for p in media.rglob("*") if p.is_file()]  # deleted even so


def test_readyz_fails_when_the_database_is_unreachable(tmp_path):
    """A process whose DATABASE_URL points at a port nothing listens on: the real settings, the real
    middleware and check, through Django's test client in that process."""
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/readyz', HTTP_HOST='10.9.8.7')\n"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"HEJIE_TEST_DB_NAME", "CELERY_BROKER_URL"}}
    env.update(DATABASE_URL=f"postgres://hejie:secret@127.0.0.1:{_closed_port()}/hejie",
               HEJIE_DATA_DIR=str(tmp_path / "data"), DJANGO_SETTINGS_MODULE="hejie.settings",
               PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,  # noqa: S603 - our interpreter
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert result["body"]["failed"] == ["database"]
    assert result["body"]["checks"]["database"] == "OperationalError"
    assert result["body"]["checks"]["storage"] == "ok"
    assert "secret" not in done.stdout  # the connection string is not shown to the caller


@pytest.mark.django_db
def test_probes_pass_by_what_would_redirect_or_refuse_a_page(client, settings, media):
    """A load balancer's probe by address over plain HTTP, with a language preference: no HTTPS or
    language redirect, no Host refusal, no session or CSRF cookie."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["hejie.example.org"]
    settings.CELERY_BROKER_URL = None
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.12:8000", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, (path, response.status_code)
        assert not response.cookies
    # a page under the same settings is redirected to HTTPS: the exemption is the probes' only
    assert client.get("/", HTTP_HOST="hejie.example.org").status_code == 301


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_take_only_get_and_head(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_probes_through_a_real_server(live_server, settings, media):
    """The real HTTP client against a real server (pytest-django's live server)."""
    settings.CELERY_BROKER_URL = None
    health = requests.get(f"{live_server.url}/healthz", timeout=10)
    assert (health.status_code, health.text) == (200, "ok")
    ready = requests.get(f"{live_server.url}/readyz", timeout=10, headers={"X-Request-ID": "probe-42"})
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert ready.headers["X-Request-ID"] == "probe-42"


@pytest.mark.django_db
def test_the_checks_run_at_most_once_per_interval(client, settings, media, monkeypatch):
    """Anyone may call /readyz: within the interval they get the last result, not a new run (and
    so no new write to the storage)."""
    from hejie.ops import health

    runs = []
    real = health.run_checks
    monkeypatch.setattr(health, "run_checks", lambda: runs.append(1) or real())
    settings.HEJIE_READYZ_MIN_INTERVAL = 60
    settings.CELERY_BROKER_URL = None
    assert client.get("/readyz").status_code == 200
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"  # the broker goes away
    assert [client.get("/readyz").status_code for _ in range(5)] == [200] * 5  # the last result
    assert len(runs) == 1
    settings.HEJIE_READYZ_MIN_INTERVAL = 0  # the interval has passed
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["broker"]
    assert len(runs) == 2


@pytest.mark.django_db
def test_a_missing_year_of_holidays_is_a_warning_that_leaves_the_process_ready(client, settings, media):
    """From 1 November the coming year's holidays are expected (hejie.workdays.calendar): until the
    operator confirms the year, /readyz names it, and stays 200 (every process would fail alike)."""
    from hejie.workdays.calendar import package_years
    from hejie.workdays.models import CalendarYear

    settings.CELERY_BROKER_URL = None
    year = max(package_years()) + 1  # the first year the installed package does not know
    with time_machine.travel(dt.datetime(year - 1, 10, 31, 12, tzinfo=dt.UTC), tick=False):
        before = client.get("/readyz")
    assert before.status_code == 200 and before.json()["warnings"] == []
    with time_machine.travel(dt.datetime(year - 1, 11, 2, 12, tzinfo=dt.UTC), tick=False):
        warned = client.get("/readyz")
        CalendarYear.objects.create(year=year, source="国务院办公厅关于部分节假日安排的通知")
        confirmed = client.get("/readyz")
    assert warned.status_code == 200
    body = warned.json()
    assert body["status"] == "ok" and body["failed"] == [] and body["warnings"] == ["calendar"]
    assert body["checks"]["calendar"] == f"missing {year}"
    assert confirmed.json()["warnings"] == [] and confirmed.json()["checks"]["calendar"] == "ok"


@pytest.mark.django_db
def test_readyz_writes_its_probe_through_the_bucket_and_leaves_nothing(client, settings, stored_files):
    """On local disk and on the S3 server (django-storages), through the Django storage API alike."""
    settings.CELERY_BROKER_URL = None
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["storage"] == "ok"
    assert stored_files.names() == []
    if stored_files.kind == "s3":
        assert stored_files.local_names() == []  # nothing written to local disk instead


@pytest.mark.django_db
def test_readyz_fails_on_a_bucket_that_is_not_there(client, settings, s3_storage, caplog):
    from hejie.core.storage import s3_storage as config
    from tests.conftest import S3_KEYS

    settings.CELERY_BROKER_URL = None
    endpoint = s3_storage.client.meta.endpoint_url
    settings.STORAGES = {**settings.STORAGES,
                         "default": config(bucket="no-such-bucket-here", endpoint_url=endpoint, **S3_KEYS)}
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["storage"] and body["checks"]["storage"] in {"ClientError", "NoSuchBucket"}
    assert "NoSuchBucket" in caplog.text
