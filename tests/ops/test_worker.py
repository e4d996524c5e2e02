"""A real Celery worker: ``celery -A hejie worker`` in a subprocess, on the
Redis broker of this machine, against the database this test writes. One task
of every app goes through the broker (the sweep, a notification's delivery, a
webhook's delivery, a partner's import) and its effect is read back.

The worker must see the rows the test writes, so the test is transactional
(its writes commit) and the worker opens the same database: on PostgreSQL the
test database itself; on SQLite, whose test database lives in this process's
memory, a file copy of it (schema and reference data) to which this thread's
connection is switched for the test, so both processes write one file.

Skips only when Redis does not answer."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import time_machine
from celery import Celery
from django.apps import apps
from django.db import connections

import hejie
from hejie.businesses.models import Business
from hejie.complaints.models import Complaint
from hejie.complaints.services import complaint_submit
from hejie.core import clock
from hejie.notifications.models import Delivery
from hejie.notifications.services import notify
from hejie.partners import services as partner_services
from hejie.partners.models import ImportBatch, Partner
from hejie.regions.models import Region
from hejie.webhooks.models import WebhookDelivery
from hejie.webhooks.services import endpoint_create
from tests.conftest import SMS_TEMPLATE_VARIABLES, SMS_TEMPLATES, make_credit_code, redis_url
from tests.fakes.tencent_sms import FakeTencentSms
from tests.partners.conftest import csv_bytes
from tests.webhooks.receiver import Receiver, receiver_verifies

pytestmark = pytest.mark.worker

BROKER = redis_url(0)  # this run's own Redis database for this test: flushed before and after
SRC = Path(hejie.__file__).resolve().parent.parent  # the code under test, for the worker too
TASKS = {"hejie.sweep", "hejie.notifications.deliver", "hejie.webhooks.deliver", "hejie.partners.import_commit"}


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def broker():
    if not _redis_up():
        pytest.skip(f"needs Redis at {BROKER} (the broker of the real worker)")
    r = redis.Redis.from_url(BROKER)
    r.flushdb()
    yield BROKER
    r.flushdb()


@pytest.fixture
def shared_database(reference_data, tmp_path):
    """Environment variables that give the worker this test's database."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {"HEJIE_DATA_DIR": str(data_dir)}
    default = connections["default"]
    if default.vendor == "postgresql":
        s = default.settings_dict
        password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
        env["DATABASE_URL"] = (f"postgres://{quote(s['USER'] or '', safe='')}{password}@{s['HOST'] or 'localhost'}"
                               f":{s['PORT'] or 5432}/{quote(s['NAME'], safe='')}")
        yield env
        return
    # SQLite: the file the worker's settings open (HEJIE_DATA_DIR/hejie.sqlite3), copied from the test
    # database, and a connection to it in place of this thread's default one until the test ends.
    path = data_dir / "hejie.sqlite3"
    default.ensure_connection()
    target = sqlite3.connect(path)
    try:
        default.connection.backup(target)
    finally:
        target.close()
    on_file = default.__class__({**default.settings_dict, "NAME": str(path)}, "default")
    connections["default"] = on_file
    try:
        yield env
    finally:
        on_file.close()
        connections["default"] = default


@pytest.fixture
def client(broker, settings):
    """This process's side: the services send through a client of the broker
    (the current Celery app), and the test reads results from Redis."""
    settings.CELERY_BROKER_URL = broker
    app = Celery("hejie-worker-test", broker=broker, backend=broker, set_as_current=False)
    app.set_current()
    try:
        yield app
    finally:
        hejie.celery_app.set_current()
        app.close()


@pytest.fixture
def tencent_fake():
    """A local Tencent Cloud SMS in this process, and the environment that points the worker's SMS
    channel at it (the worker is another process: it reads its settings from the environment)."""
    conf = {"secret_id": "AKIDworker0000", "secret_key": "worker-test-secret", "sdk_app_id": "1400000002"}
    with FakeTencentSms(sign_name="和解平台", templates=dict(SMS_TEMPLATE_VARIABLES), **conf) as fake:
        fake.env = {
            "HEJIE_SMS_BACKEND": "hejie.notifications.channels.tencent_sms.TencentSms",
            "HEJIE_TENCENT_SMS_ENDPOINT": f"127.0.0.1:{fake.port}",
            "HEJIE_TENCENT_SMS_SCHEME": "http",
            "HEJIE_TENCENT_SECRET_ID": conf["secret_id"],
            "HEJIE_TENCENT_SECRET_KEY": conf["secret_key"],
            "HEJIE_TENCENT_SMS_APP_ID": conf["sdk_app_id"],
            "HEJIE_SMS_SIGN_NAME": "和解平台",
            "HEJIE_SMS_TEMPLATES": ",".join(f"{kind}={tid}" for kind, tid in SMS_TEMPLATES.items()),
            "HEJIE_QUIET_HOURS": "",  # its outcome must not depend on the hour
        }
        yield fake


@pytest.fixture
def worker(client, shared_database, tencent_fake, tmp_path):
    """``celery -A hejie worker --pool=solo`` on this checkout's code; yields its log file."""
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HEJIE_TEST_DB_NAME", "HEJIE_TEST_SQLITE"}}
    env.update(
        {**shared_database, **tencent_fake.env},
        PYTHONPATH=os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p),
        DJANGO_SETTINGS_MODULE="hejie.settings",
        CELERY_BROKER_URL=client.conf.broker_url,
        CELERY_RESULT_BACKEND=client.conf.broker_url,
        HEJIE_WEBHOOK_ALLOW_PRIVATE="true",  # the receiver is on 127.0.0.1
        HEJIE_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    name = f"hejie-test-{uuid.uuid4().hex[:8]}@%h"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "hejie", "worker", "--pool=solo", "--loglevel=INFO",
             f"--hostname={name}", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while not client.control.ping(timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not come up (exit {proc.poll()}):\n{log.read_text()}")
        yield log
    finally:
        proc.terminate()  # a warm shutdown: the task in hand finishes
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _until(what: str, check: Callable[[], bool], log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not seen within {timeout:.0f} s: {what}\nworker log:\n{log.read_text()}")
        time.sleep(0.05)


def _declared_tasks() -> set[str]:
    """The names of the tasks in every installed hejie app's ``tasks`` module."""
    found = set()
    for config in apps.get_app_configs():
        if config.name.startswith("hejie.") and importlib.util.find_spec(f"{config.name}.tasks"):
            module = importlib.import_module(f"{config.name}.tasks")
            found |= {task.name for task in vars(module).values() if getattr(task, "delay", None) and
                      getattr(task, "name", "").startswith("hejie.")}
    return found


def test_a_real_worker_runs_one_task_of_every_app(worker, client, tencent_fake, settings, make_business, make_user):
    log = worker
    settings.HEJIE_WEBHOOK_ALLOW_PRIVATE = True

    # The worker knows every task that the apps declare, found by autodiscovery.
    declared = _declared_tasks()
    assert declared >= TASKS
    [registered] = client.control.inspect(timeout=5).registered().values()
    assert set(registered) >= declared, registered

    # complaints: the sweep (what beat sends) fails an order left 14 days without a settlement
    consumer = make_user("consumer")
    shop = make_business()
    make_user("business", business=shop)  # someone can sign in for it: the order is delivered, its clock runs
    with time_machine.travel(clock.now() - dt.timedelta(days=15), tick=False):
        stale = complaint_submit(consumer=consumer, business_id=shop.pk, problem_type="quality",
                                 description="买的热干面里有异物，要求退款。", claim_type="refund", claim_amount="38")
    report = client.send_task("hejie.sweep", ignore_result=False).get(timeout=20)
    assert "failed 1" in report
    assert Complaint.objects.get(pk=stale.pk).state == "failed"

    # webhooks: an order filed with a business that has an endpoint is delivered to it by the worker
    with Receiver() as receiver:
        hooked = make_business()
        admin = make_user("business", business=hooked, is_business_admin=True)
        endpoint = endpoint_create(actor=admin, url=receiver.url)
        order = complaint_submit(consumer=consumer, business_id=hooked.pk, problem_type="price",
                                 description="结账时多收了钱，要求退还差价。", claim_type="refund", claim_amount="20")
        [got] = receiver.wait_for(1)
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        _until("the webhook delivery marked delivered",
               lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered", log)
    assert got.json["order"]["number"] == order.number
    assert receiver_verifies(endpoint.secret, got.headers, got.body)
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1

    # notifications: a notice's SMS is sent by the worker, through its Tencent adapter, to the fake
    # provider in this process (the worker's settings, from its environment, point there)
    rows_before = set(Delivery.objects.values_list("pk", flat=True))
    title = f"经由队列 {uuid.uuid4().hex[:8]}"
    notify(users=[consumer], event="worker_test", title=title, body="队列送出的短信")
    [row] = Delivery.objects.exclude(pk__in=rows_before)
    assert (row.channel, row.to, row.kind) == ("sms", consumer.phone, "order_update")
    _until("the SMS sent by the worker", lambda: Delivery.objects.get(pk=row.pk).status == "sent", log)
    # one request for it reached the provider (the orders above sent their own SMS too)
    [request] = [r for r in tencent_fake.requests if (r.get("body") or {}).get("SessionContext") == f"hejie-{row.pk}"]
    body = request["body"]
    assert request["accepted"] and (body["PhoneNumberSet"], body["TemplateId"], body["TemplateParamSet"]) == (
        ["+86" + consumer.phone], "1002", [title])
    row.refresh_from_db()
    assert (row.provider, row.attempts) == ("tencent", 1) and row.provider_id.startswith("2433:")

    # partners: a small import committed in the background runs on the worker
    partner = Partner.objects.create(name="江城到家外卖平台", kind="platform", region=Region.objects.get(code="420000"),
                                     status="active", onboard_status="active")
    staff = make_user("partner", partner=partner)
    rows = [(f"队列商户{i}", make_credit_code(), "餐饮", "420102", "武汉市江岸区某路1号", "张三", "", "", "")
            for i in range(3)]
    batch = partner_services.import_preview(actor=staff, partner=partner, filename="small.csv", data=csv_bytes(rows))
    threads = len(partner_services._threads)
    batch = partner_services.import_commit(actor=staff, batch=batch, background=True)
    assert batch.status == "committing"
    _until("the import committed", lambda: ImportBatch.objects.get(pk=batch.pk).status == "committed", log)
    assert len(partner_services._threads) == threads  # not the in-process fallback
    created = Business.objects.filter(partner=partner)
    assert sorted(created.values_list("name", flat=True)) == ["队列商户0", "队列商户1", "队列商户2"]
    assert set(created.values_list("credit_code", flat=True)) == {r[1] for r in rows}
    assert set(created.values_list("status", flat=True)) == {"active"}

    # and each of them ran on the worker
    text = log.read_text()
    for name in TASKS:
        assert re.search(rf"Task {re.escape(name)}\[[0-9a-f-]+\] succeeded", text), (name, text)
