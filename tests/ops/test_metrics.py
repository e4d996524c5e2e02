"""``/metrics`` (``hejie.ops.metrics``): who may read it, and what it counts. The exposition is
read back with prometheus-client's own parser."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import hejie
from hejie.complaints.models import Complaint
from hejie.notifications.backends import Permanent
from hejie.notifications.services import notify
from hejie.ops.sweep import sweep
from tests.conftest import T0

SRC = Path(hejie.__file__).resolve().parent.parent


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly these labels (0 when absent: a counter not yet counted)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def scrape(client, **extra) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return response.content.decode()


# --- who may read it ------------------------------------------------------------------------------

@pytest.mark.parametrize("meta", [
    {"REMOTE_ADDR": "10.1.2.3"},  # another machine
    {"REMOTE_ADDR": "192.168.0.7"},
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},  # a proxy on this machine forwards
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=203.0.113.9"},
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"},
    {"REMOTE_ADDR": "not an address"},
])
def test_without_a_token_only_this_machine_reads_the_metrics(client, settings, meta):
    settings.HEJIE_METRICS_TOKEN = ""
    response = client.get("/metrics", **meta)
    assert response.status_code == 403
    assert b"hejie_" not in response.content


@pytest.mark.django_db
def test_without_a_token_a_direct_local_scrape_is_served(client, settings):
    settings.HEJIE_METRICS_TOKEN = ""
    for address in ("127.0.0.1", "::1"):
        text = scrape(client, REMOTE_ADDR=address)
        assert "hejie_http_requests_total" in text


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic czNjcmV0LXRva2Vu",
                                           "Bearer", "s3cret-token-for-prometheus"])
def test_with_a_token_nothing_else_reads_the_metrics(client, settings, authorization):
    settings.HEJIE_METRICS_TOKEN = "s3cret-token-for-prometheus"
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)  # not even from this machine
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"hejie_" not in response.content


def test_with_the_token_a_scraper_reads_them_from_anywhere(live_server, settings):
    """The real client against a real server: Prometheus's bearer token, from any address."""
    settings.HEJIE_METRICS_TOKEN = "s3cret-token-for-prometheus"
    url = f"{live_server.url}/metrics"
    assert requests.get(url, timeout=10).status_code == 401
    response = requests.get(url, timeout=10, headers={"Authorization": "Bearer s3cret-token-for-prometheus"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert value(response.text, "hejie_http_requests_total", view="metrics", method="GET", status="401") >= 1
    # OpenMetrics for a scraper that asks for it
    om = requests.get(url, timeout=10, headers={"Authorization": "Bearer s3cret-token-for-prometheus",
                                                "Accept": "application/openmetrics-text; version=1.0.0"})
    assert om.headers["Content-Type"].startswith("application/openmetrics-text") and om.text.endswith("# EOF\n")


# --- what it counts -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_view_method_and_status(client):
    before = scrape(client)
    client.get("/")
    client.get("/")
    client.get("/api/v1/businesses", {"q": "无此商户"})
    client.get("/no/such/page/")
    after = scrape(client)
    for labels, more in [({"view": "home", "method": "GET", "status": "200"}, 2),
                         ({"view": "api-v1:directory", "method": "GET", "status": "200"}, 1),
                         ({"view": "unmatched", "method": "GET", "status": "404"}, 1)]:
        assert value(after, "hejie_http_requests_total", **labels) - value(
            before, "hejie_http_requests_total", **labels) == more, labels
    timed = {"view": "home", "method": "GET"}
    assert value(after, "hejie_http_request_duration_seconds_count", **timed) - value(
        before, "hejie_http_request_duration_seconds_count", **timed) == 2
    assert "/no/such/page/" not in after  # the path itself is never a label


def test_the_sweep_its_duration_and_the_due_backlog(client, traveller, file_complaint, make_user, staff):
    for _ in range(3):
        file_complaint(make_user())
    before = scrape(client)
    assert value(before, "hejie_sweep_due_backlog") == 0
    traveller.move_to(T0 + dt.timedelta(days=14, hours=1))  # an hour past the 14 days: all three are due
    due = scrape(client)
    assert value(due, "hejie_sweep_due_backlog") == 3
    oldest = min(Complaint.objects.values_list("next_deadline_at", flat=True))  # their first deadline
    waited = (T0 + dt.timedelta(days=14, hours=1) - oldest).total_seconds()
    assert waited > 3600 and value(due, "hejie_sweep_due_oldest_seconds") == pytest.approx(waited, abs=1)
    assert value(due, "hejie_metrics_database_up") == 1
    report = sweep()
    assert report.actions["failed"] == 3
    after = scrape(client)
    assert value(after, "hejie_sweep_due_backlog") == 0 and value(after, "hejie_sweep_due_oldest_seconds") == 0
    assert value(after, "hejie_sweeps_total", outcome="ok") - value(before, "hejie_sweeps_total", outcome="ok") == 1
    assert value(after, "hejie_sweep_duration_seconds_count") - value(before, "hejie_sweep_duration_seconds_count") == 1


def test_a_sweep_that_raises_is_counted_as_failed(client, db, monkeypatch):
    from hejie.ops import sweep as sweep_module

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sweep_module, "sweep_orders", broken)
    before = scrape(client)
    with pytest.raises(RuntimeError):
        sweep_module.sweep()
    after = scrape(client)
    assert value(after, "hejie_sweeps_total", outcome="failed") - value(
        before, "hejie_sweeps_total", outcome="failed") == 1


class RefusingBackend:
    """A provider that refuses every message for good (what a wrong number gets)."""

    def send(self, message):
        raise Permanent("number does not exist", code="InvalidPhoneNumber")


def test_deliveries_are_counted_by_channel_and_outcome(client, settings, outbox, make_user,
                                                       django_capture_on_commit_callbacks):
    consumer = make_user("consumer")
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="order_update", title="订单有新进展", body="商家已回复")
    assert outbox  # sent through the memory backend
    settings.HEJIE_NOTIFICATION_BACKENDS = {**settings.HEJIE_NOTIFICATION_BACKENDS,
                                            "sms": f"{__name__}.RefusingBackend"}
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="order_update", title="订单又有新进展", body="商家已回复")
    after = scrape(client)

    def more(**labels):
        return (value(after, "hejie_notification_deliveries_total", **labels)
                - value(before, "hejie_notification_deliveries_total", **labels))

    assert more(channel="sms", outcome="sent") == 1
    assert more(channel="sms", outcome="failed") == 1


def test_tasks_are_counted_by_name_and_outcome(client, db, monkeypatch):
    """Celery's own tracer (``apply``: the signals a worker sends around each task); a real worker's
    counts are read in tests/ops/test_requestid.py."""
    from hejie.ops import tasks

    before = scrape(client)
    tasks.sweep_task.apply()
    monkeypatch.setattr(tasks, "sweep", lambda: 1 / 0)
    tasks.sweep_task.apply()
    after = scrape(client)
    for outcome in ("success", "failure"):
        labels = {"task": "hejie.sweep", "outcome": outcome}
        assert value(after, "hejie_celery_tasks_total", **labels) - value(
            before, "hejie_celery_tasks_total", **labels) == 1, outcome
    assert value(after, "hejie_celery_task_duration_seconds_count", task="hejie.sweep") - value(
        before, "hejie_celery_task_duration_seconds_count", task="hejie.sweep") == 2


# --- several processes ----------------------------------------------------------------------------

_REQUESTS = """
import django, sys; django.setup()
from django.test import Client
c = Client()
for _ in range(int(sys.argv[1])):
    assert c.get('/healthz').status_code == 200
"""

_SCRAPE = """
import django; django.setup()
from django.test import Client
r = Client().get('/metrics')
print(r.status_code)
print(r.content.decode())
"""


def test_several_processes_add_up_in_the_multiprocess_directory(tmp_path):
    """Two processes count requests into PROMETHEUS_MULTIPROC_DIR (as gunicorn's workers would); a
    third one's /metrics adds them up, though it served none of them. Its database is not migrated:
    the backlog is left out, the rest is served."""
    shared = tmp_path / "prometheus"  # made by the settings
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HEJIE_TEST_DB_NAME"}}
    env.update(PROMETHEUS_MULTIPROC_DIR=str(shared), HEJIE_DATA_DIR=str(tmp_path / "data"),
               DJANGO_SETTINGS_MODULE="hejie.settings", PYTHONPATH=str(SRC))

    def run(script: str, *args: str) -> str:
        done = subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=tmp_path,  # noqa: S603
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(_REQUESTS, "3")
    run(_REQUESTS, "4")
    assert len(list(shared.glob("counter_*.db"))) == 2  # one file per process
    status, _, text = run(_SCRAPE).partition("\n")
    assert status == "200"
    assert value(text, "hejie_http_requests_total", view="healthz", method="GET", status="200") == 7
    assert value(text, "hejie_http_request_duration_seconds_count", view="healthz", method="GET") == 7
    assert value(text, "hejie_metrics_database_up") == 0
    assert "hejie_sweep_due_backlog" not in text


def test_the_process_manager_hooks(tmp_path, monkeypatch):
    """gunicorn's hooks: ``on_starting`` empties the directory; ``child_exit`` drops a dead worker's
    live values (prometheus-client's own bookkeeping) and leaves its counts."""
    from hejie.ops import metrics

    shared = tmp_path / "prometheus"
    (shared / "leftover").mkdir(parents=True)
    (shared / "counter_123.db").write_bytes(b"from an earlier run")
    (shared / "gauge_livesum_123.db").write_bytes(b"a live gauge of worker 123")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    metrics.child_exit(None, type("Worker", (), {"pid": 123})())
    assert sorted(p.name for p in shared.iterdir()) == ["counter_123.db", "leftover"]
    metrics.clear_multiproc_dir(object())
    assert shared.is_dir() and not list(shared.iterdir())
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    metrics.clear_multiproc_dir()  # without the directory: nothing to do
