"""The production topology for real, in CI: the web (granian, two processes), a Celery worker and
Celery beat, each its own process, started the way `make stack` starts them
(``hejie.ops.stack``), against a fresh PostgreSQL database of their own (``test_stack_e2e``,
created and migrated here, dropped after) and Redis. One complaint goes through it:

1. a consumer asks for a sign-in code over HTTP; the worker sends the SMS (to a local Tencent
   Cloud SMS, tests/fakes) and the code read from it signs the consumer in;
2. the consumer files a complaint over HTTP; the worker sends the business's on-duty staff the
   new-order SMS;
3. the clock of every process is moved 14 days and an hour on (``HEJIE_CLOCK_FILE``), and the
   sweep that beat sends every second fails the order, which the API then shows.

Skips, saying why, without PostgreSQL (DATABASE_URL) or Redis."""

from __future__ import annotations

import os
import re
import socket
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from hejie.ops.stack import Stack
from tests.conftest import SMS_TEMPLATE_VARIABLES, SMS_TEMPLATES, redis_url
from tests.fakes.tencent_sms import FakeTencentSms
from tests.ops.stack_client import Api, seed_business, until

pytestmark = pytest.mark.worker

DATABASE = "test_stack_e2e"
BROKER = redis_url(2)  # this run's own Redis database: flushed before and after
FAILED_AFTER = 14 * 86400 + 3600  # seconds: past the 14 days to settle


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def services():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL: the stack runs on it (set DATABASE_URL=postgres://...)")
    try:
        psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), connect_timeout=3).close()
    except psycopg.OperationalError as e:
        pytest.skip(f"needs PostgreSQL at {url}: {e}")
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs Redis at {BROKER} (the broker of the worker and beat)")
    r = redis.Redis.from_url(BROKER)
    r.flushdb()
    yield urlunsplit(urlsplit(url)._replace(path="/" + DATABASE))
    r.flushdb()


@pytest.fixture
def tencent_fake():
    conf = {"secret_id": "AKIDstack0000", "secret_key": "stack-test-secret", "sdk_app_id": "1400000003"}
    with FakeTencentSms(sign_name="和解平台", templates=dict(SMS_TEMPLATE_VARIABLES), **conf) as fake:
        fake.env = {
            "HEJIE_SMS_BACKEND": "hejie.notifications.channels.tencent_sms.TencentSms",
            "HEJIE_TENCENT_SMS_ENDPOINT": f"127.0.0.1:{fake.port}", "HEJIE_TENCENT_SMS_SCHEME": "http",
            "HEJIE_TENCENT_SECRET_ID": conf["secret_id"], "HEJIE_TENCENT_SECRET_KEY": conf["secret_key"],
            "HEJIE_TENCENT_SMS_APP_ID": conf["sdk_app_id"], "HEJIE_SMS_SIGN_NAME": "和解平台",
            "HEJIE_SMS_TEMPLATES": ",".join(f"{kind}={tid}" for kind, tid in SMS_TEMPLATES.items()),
        }
        yield fake


@pytest.fixture
def stack(services, tencent_fake, tmp_path):
    clock_file = tmp_path / "clock"
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HEJIE_", "CELERY_", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"))}
    base |= {
        **tencent_fake.env,
        "DATABASE_URL": services,
        "CELERY_BROKER_URL": BROKER,
        "HEJIE_PRODUCTION": "0",  # a moved clock is refused in production
        "HEJIE_CLOCK_FILE": str(clock_file),
        "HEJIE_SWEEP_INTERVAL_SECONDS": "1",
        "HEJIE_QUIET_HOURS": "",  # the outcome must not depend on the hour
        "HEJIE_DIGEST_HOUR": "off",
    }
    s = Stack(root=tmp_path / "stack", port=_free_port(), s3=False, web_workers=2, base_env=base)
    s.clock_file = clock_file
    started = time.monotonic()
    try:
        s.up(["web", "worker", "beat"], fresh=True, timeout=60)
        s.startup_seconds = time.monotonic() - started
        yield s
    finally:
        s.stop()
        s.drop_database()


def _logs(stack: Stack) -> str:
    return "\n".join(f"--- {name}.log\n" + (stack.log_file(name).read_text(errors="replace")[-4000:]
                                              if stack.log_file(name).exists() else "")
                     for name in ("web", "worker", "beat"))


def test_a_complaint_through_web_worker_and_beat(stack, tencent_fake):
    logs = lambda: _logs(stack)  # noqa: E731
    env = stack.environment()
    seeded = seed_business(env)
    api = Api(stack.url)

    # 1. the sign-in code, by SMS sent from the worker
    phone = "13900000077"
    r = api.call("POST", "/auth/code", {"phone": phone})
    assert r.status_code == 202, r.text

    def otp():
        return next((b for b in tencent_fake.sent
                     if b["PhoneNumberSet"] == ["+86" + phone] and b["TemplateId"] == SMS_TEMPLATES["otp"]), None)

    code = until("the sign-in code's SMS", otp, 20, logs)["TemplateParamSet"][0]
    r = api.call("POST", "/auth/token", {"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    api.token = r.json()["token"]

    # 2. the complaint over HTTP, and the staff's new-order SMS from the worker
    order = api.file_complaint(seeded["business_id"])
    new_order = until("the business's new-order SMS", lambda: next(
        (b for b in tencent_fake.sent if b["PhoneNumberSet"] == ["+86" + seeded["mobile"]]), None), 20, logs)
    assert new_order["TemplateId"] == SMS_TEMPLATES["new_order"]
    [title] = new_order["TemplateParamSet"]  # cut to the length the template's variable allows
    assert title.startswith("新投诉 HB-") and f"新投诉 {order['number']}".startswith(title), title

    # 3. 14 days and an hour later (every process's clock), beat's sweep fails it
    assert api.call("GET", f"/complaints/{order['id']}").json()["state"] == "delivered"
    stack.clock_file.write_text(str(FAILED_AFTER))
    failed = until("the order failed by the sweep", lambda: api.call(
        "GET", f"/complaints/{order['id']}").json()["state"] == "failed", 30, logs)
    assert failed

    # the pass that failed it reports so when it ends (after the order's transaction committed)
    until("the sweep task's report of the failure", lambda: re.search(
        r"Task hejie\.sweep\[[0-9a-f-]+\] succeeded in [0-9.]+s: '[^']*failed 1",
        stack.log_file("worker").read_text()), 20, logs)
    worker_log = stack.log_file("worker").read_text()
    beat_log = stack.log_file("beat").read_text()
    assert re.search(r"Task hejie\.notifications\.deliver\[[0-9a-f-]+\] succeeded", worker_log)
    assert "Sending due task sweep (hejie.sweep)" in beat_log
    print(f"stack up in {stack.startup_seconds:.1f} s (fresh database, migrate, processes)")
