"""A request's id carried into the task it sends, on a real Celery worker (the fixtures of
tests/ops/test_worker.py: ``celery -A hejie worker`` in a subprocess on this machine's Redis, on
this test's database), whose logs are JSON here; and the worker's task and delivery counts, read
from the PROMETHEUS_MULTIPROC_DIR it writes them to. Skips only when Redis does not answer."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from hejie.notifications.models import Delivery
from tests.ops.test_metrics import value
from tests.ops.test_worker import _until, broker, client, shared_database, tencent_fake, worker  # noqa: F401

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_env(monkeypatch, tmp_path):
    """The worker's environment (its fixture copies this process's): JSON logs, and its metrics in a
    directory this test reads."""
    metrics_dir = tmp_path / "prometheus"
    monkeypatch.setenv("HEJIE_LOG_FORMAT", "json")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    return metrics_dir


def test_the_worker_logs_a_task_with_the_id_of_the_request_that_sent_it(worker_env, worker, client, settings):  # noqa: F811
    log = worker
    phone = "13912340077"
    web = Client(HTTP_HOST="127.0.0.1")
    response = web.post("/api/v1/auth/code", data={"phone": phone}, content_type="application/json",
                        HTTP_X_REQUEST_ID="req-to-the-worker-7")
    assert response.status_code == 202, response.content
    assert response["X-Request-ID"] == "req-to-the-worker-7"
    [row] = Delivery.objects.filter(to=phone, kind="otp")
    _until("the sign-in code sent by the worker", lambda: Delivery.objects.get(pk=row.pk).status == "sent", log)
    # the worker logs the task's success just after its work is written
    _until("the worker's line about the task", lambda: "hejie.notifications.deliver[" in log.read_text() and
           "succeeded" in log.read_text(), log)

    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert records, log.read_text()
    ours = [r for r in records if r.get("request_id") == "req-to-the-worker-7"]
    done = [r for r in ours if "hejie.notifications.deliver" in r["message"] and "succeeded" in r["message"]]
    assert done, "\n".join(lines)  # Celery's own line about the task, in the task's context
    assert done[0]["logger"].startswith("celery")
    # the worker's lines of other work do not carry it
    assert not [r for r in records if r.get("request_id") not in ("-", "req-to-the-worker-7")]

    # the worker's counts, in the directory its processes write to (what /metrics adds up)
    def worker_metrics() -> str:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(worker_env))
        return generate_latest(registry).decode()

    _until("the task counted (after its last line)", lambda: "hejie.notifications.deliver" in worker_metrics(), log)
    text = worker_metrics()
    assert value(text, "hejie_celery_tasks_total", task="hejie.notifications.deliver", outcome="success") == 1
    assert value(text, "hejie_notification_deliveries_total", channel="sms", outcome="sent") == 1
    assert value(text, "hejie_celery_task_duration_seconds_count", task="hejie.notifications.deliver") == 1
