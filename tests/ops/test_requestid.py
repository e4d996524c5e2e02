"""Request ids and structured logs (``hejie.ops.requestid``, ``LOGGING`` in the settings).

In this process the logs are text (the default); the JSON lines are read from a process started
with ``HEJIE_LOG_FORMAT=json``, the real settings and handlers. A task sent during a request carries
the id to a real worker: tests/ops/test_requestid_worker.py."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery

import hejie
from hejie.ops import requestid

SRC = Path(hejie.__file__).resolve().parent.parent
HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("incoming", ["abc-123", "f" * 128, "4bf92f3577b34da6a3ce929d0e0e4736",
                                      "lb/1.2.3.4:80+x=y@z_."])
def test_a_plausible_incoming_id_is_kept(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", "f" * 129, "has space", "line\nbreak", "<script>", "id;drop",
                                      "请求编号", "a\x00b"])
def test_an_implausible_incoming_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert HEX32.fullmatch(response["X-Request-ID"]), response["X-Request-ID"]


def test_without_an_incoming_id_each_request_gets_its_own(client):
    first, second = (client.get("/healthz")["X-Request-ID"] for _ in range(2))
    assert HEX32.fullmatch(first) and HEX32.fullmatch(second) and first != second


def test_every_log_record_of_a_request_carries_its_id(client, settings, caplog):
    """A view's own line and Django's line about the 400 it answered (logged after the middleware
    has returned, from the record's request)."""
    settings.HEJIE_SMS_REPORT_TOKEN = "report-token"
    caplog.set_level(logging.INFO)
    response = client.post("/hooks/sms/tencent/report-token/", data="not json", content_type="application/json",
                           HTTP_X_REQUEST_ID="req-in-process-1")
    assert response.status_code == 400
    ours = [r for r in caplog.records if r.name == "hejie.notifications"]
    theirs = [r for r in caplog.records if r.name == "django.request"]
    assert ours and theirs
    # the handlers' filter put the id on hejie's record as it was written (the root's handler in JSON
    # mode, hejie's own here); Django's record about the answer gets it from its request
    assert all(r.request_id == "req-in-process-1" for r in ours)
    for record in theirs:
        requestid.RequestIdFilter().filter(record)
        assert record.request_id == "req-in-process-1", record.getMessage()
    assert requestid.current() is None  # and nothing of it is left once the request is over


def test_a_record_outside_any_request_says_so():
    record = logging.LogRecord("hejie.x", logging.INFO, __file__, 1, "hello", None, None)
    assert requestid.RequestIdFilter().filter(record) and record.request_id == "-"


_JSON_RUN = """
import django, logging, sys; django.setup()
from django.test import Client
logging.getLogger("hejie.test").warning("outside any request")
c = Client(HTTP_HOST="127.0.0.1")
r = c.post("/hooks/sms/tencent/report-token/", data="not json", content_type="application/json",
           HTTP_X_REQUEST_ID="req-json-1")
assert r.status_code == 400, r.status_code
r = c.get("/healthz", HTTP_X_REQUEST_ID="bad id")
logging.getLogger("hejie.test").info("中文 message %s", 42)
print("generated=" + r["X-Request-ID"])
"""


def _run(tmp_path, script: str, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HEJIE_TEST_DB_NAME"}}
    env.update(HEJIE_DATA_DIR=str(tmp_path / "data"), DJANGO_SETTINGS_MODULE="hejie.settings", PYTHONPATH=str(SRC),
               **env_vars)
    return subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,  # noqa: S603 - our interpreter
                          capture_output=True, text=True, timeout=60, check=False)


def test_json_logs_are_one_object_a_line_with_the_request_id(tmp_path):
    done = _run(tmp_path, _JSON_RUN, HEJIE_LOG_FORMAT="json", HEJIE_SMS_REPORT_TOKEN="report-token")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(r, dict) and {"time", "level", "logger", "message", "request_id"} <= r.keys()
               for r in records), records
    by_message = {r["message"]: r for r in records}
    outside = by_message["outside any request"]
    assert (outside["level"], outside["logger"], outside["request_id"]) == ("WARNING", "hejie.test", "-")
    view_line = next(r for r in records if r["message"].startswith("malformed tencent delivery report"))
    assert (view_line["logger"], view_line["request_id"]) == ("hejie.notifications", "req-json-1")
    django_line = next(r for r in records if r["logger"] == "django.request")
    assert django_line["message"].startswith("Bad Request") and django_line["request_id"] == "req-json-1"
    assert django_line["status_code"] == 400
    assert by_message["中文 message 42"]["level"] == "INFO"  # hejie's INFO lines too; not escaped
    assert "中文 message 42" in done.stderr
    generated = done.stdout.strip().rpartition("generated=")[2]
    assert HEX32.fullmatch(generated)


def test_text_logs_stay_the_default(tmp_path):
    done = _run(tmp_path, _JSON_RUN, HEJIE_SMS_REPORT_TOKEN="report-token")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\S+ \S+ WARNING hejie.notifications: malformed tencent delivery report", done.stderr, re.M)
    assert not done.stderr.lstrip().startswith("{")


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    done = _run(tmp_path, "import django; django.setup()", HEJIE_LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "HEJIE_LOG_FORMAT must be text or json, not 'xml'" in done.stderr


# --- the id in a task's message -------------------------------------------------------------------

def test_a_task_sent_during_a_request_carries_its_id_in_the_message(settings):
    """What leaves this process: the message's headers, as the broker gets them (an in-memory
    broker here; the real Redis and a worker in test_requestid_worker.py)."""
    app = Celery("hejie-publish-test", broker="memory://", set_as_current=False)
    token = requestid.bind("req-publish-1")
    try:
        app.send_task("hejie.sweep")
    finally:
        requestid.reset(token)
    app.send_task("hejie.sweep")  # and one outside any request
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        first, second = queue.get(timeout=1), queue.get(timeout=1)
        queue.close()
    assert first.headers["task"] == "hejie.sweep" and first.headers[requestid.TASK_HEADER] == "req-publish-1"
    assert requestid.TASK_HEADER not in second.headers


def test_a_task_run_with_an_id_logs_it_and_forgets_it_after(caplog):
    """The worker's side through Celery's own tracer: the id from the message is current while the
    task runs, and not after."""
    from celery import shared_task

    seen = []

    @shared_task(name="hejie.tests.remember_request_id", bind=True)
    def remember(self):
        seen.append(requestid.current())
        logging.getLogger("hejie.tests").warning("inside the task")

    caplog.set_level(logging.WARNING)
    remember.apply(headers={requestid.TASK_HEADER: "req-task-1"})
    remember.apply(headers={requestid.TASK_HEADER: "bad id"})  # not a plausible id: not taken
    remember.apply()
    assert seen == ["req-task-1", None, None]
    assert requestid.current() is None
    inside = [r for r in caplog.records if r.getMessage() == "inside the task"]
    assert inside and inside[0].request_id == "req-task-1"  # put on as it was written
