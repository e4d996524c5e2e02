"""Shared fixtures. Tests need no data from ../shared: regions and industries
come from the migrations, everything else is made here."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
import re

import pytest
import time_machine
from stdnum.cn import uscc

from hejie.core import clock

_serial = itertools.count(1)


def pytest_configure(config):
    """One random seed for the run's hypothesis tests that are not derandomized (the schemathesis
    fuzzing among them), printed in the header so that a failure can be replayed:
    ``HEJIE_FUZZ_SEED=N`` or ``--hypothesis-seed=N``."""
    import secrets

    import hypothesis.core

    seed = config.getoption("hypothesis_seed", None)
    if seed is None:
        seed = int(os.environ.get("HEJIE_FUZZ_SEED") or secrets.randbelow(2**32))
        hypothesis.core.global_force_seed = seed
    config.hejie_hypothesis_seed = seed


def _allow_audit_truncate(sender, connection, **kwargs):
    """The test database is flushed (TRUNCATE) between transactional tests: on PostgreSQL the
    audit trail's trigger lets a TRUNCATE through only when the session allows it (migration
    audit/0002). tests/audit/test_postgres.py turns it off again to see the refusal."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET hejie.audit_truncate = 'allow'")


def _connect_audit_truncate():
    from django.db.backends.signals import connection_created

    connection_created.connect(_allow_audit_truncate, dispatch_uid="hejie.tests.audit_truncate")


_connect_audit_truncate()


def pytest_report_header(config):
    seed = getattr(config, "hejie_hypothesis_seed", None)
    return [f"hypothesis seed: {seed} (replay with HEJIE_FUZZ_SEED={seed})"] if seed is not None else []


def redis_url(offset: int) -> str:
    """A Redis database of this test run's own on the local server (``make test`` runs SQLite and
    PostgreSQL side by side: each run's ``HEJIE_TEST_REDIS_DB`` keeps their brokers apart)."""
    return f"redis://127.0.0.1:6379/{int(os.environ.get('HEJIE_TEST_REDIS_DB', '9')) + offset}"

# A fixed, ordinary moment to start each timed test from.
T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)


def make_credit_code(n: int | None = None, region: str = "420102") -> str:
    """A valid unified social credit code (check character computed)."""
    n = next(_serial) if n is None else n
    body = f"91{region}{n:09d}"[:17]
    return body + uscc.calc_check_digit(body)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Chinese): a page requested in English
    leaves English active in the thread, and a later test must not depend on the order."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings):
    """SMS are not held for the night unless a test sets quiet hours: a test's outcome must not
    depend on the hour it runs at (tests/notifications/test_delivery.py tests the quiet hours)."""
    settings.HEJIE_QUIET_HOURS = ""


@pytest.fixture(autouse=True)
def _no_digest(settings):
    """No daily digest unless a test asks for it: T0 is 10:00 Shanghai, after the digest hour, and
    every sweep would otherwise send each staff member a digest (tests/oversight/test_digest.py
    sets the hour)."""
    settings.HEJIE_DIGEST_HOUR = None


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests flush every table when they end, the regions,
    industries and policy row of the data migrations included: put them back
    if an earlier test took them away. Use it in every transactional test."""
    from hejie.businesses.industries import INDUSTRIES
    from hejie.businesses.models import Industry
    from hejie.complaints.models import Policy
    from hejie.regions.loader import load_regions
    from hejie.regions.models import Region

    if not Region.objects.filter(code="420102").exists():
        load_regions(Region)
    for position, (code, name, name_en) in enumerate(INDUSTRIES):
        Industry.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "position": position})
    Policy.objects.get_or_create(pk=1)


@pytest.fixture
def make_business(db):
    from hejie.businesses.models import Business, Industry
    from hejie.regions.models import Region

    def make(name=None, *, region="420102", industry="catering", status="active", **extra):
        r = Region.objects.get(code=region)
        n = next(_serial)
        return Business.objects.create(
            name=name or f"测试商户{n}", name_initials="cssh", credit_code=make_credit_code(n, region),
            industry=Industry.objects.get(code=industry), region=r, region_l1=r.l1, region_l2=r.l2,
            region_l3=r.l3, status=status, approved_at=clock.now() if status == "active" else None, **extra,
        )

    return make


@pytest.fixture
def make_user(db):
    from hejie.accounts.models import User
    from hejie.regions.models import Region

    def make(role="consumer", *, phone=None, business=None, region=None, username=None, **extra):
        n = next(_serial)
        if role == "consumer" and phone is None:
            phone = f"138{n:08d}"
        return User.objects.create(
            username=username or f"{role}{n}", role=role, phone=phone, business=business,
            region=Region.objects.get(code=region) if isinstance(region, str) else region, **extra,
        )

    return make


@pytest.fixture
def outbox(settings):
    """Every channel (SMS, WeChat, email) goes to MemoryBackend.outbox; returns it, emptied."""
    from hejie.notifications.backends import MemoryBackend

    settings.HEJIE_NOTIFICATION_BACKENDS = {c: "hejie.notifications.backends.MemoryBackend"
                                            for c in ("sms", "wechat", "email")}
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


@pytest.fixture
def sms(settings):
    """SMS goes to MemoryBackend.outbox (the other channels as configured); returns it, emptied."""
    from hejie.notifications.backends import MemoryBackend

    settings.HEJIE_NOTIFICATION_BACKENDS = {**settings.HEJIE_NOTIFICATION_BACKENDS,
                                            "sms": "hejie.notifications.backends.MemoryBackend"}
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


def last_code(outbox) -> str:
    """The six-digit code in the last message sent."""
    match = re.search(r"\b(\d{6})\b", outbox[-1].body)
    assert match, outbox[-1].body
    return match.group(1)


@pytest.fixture
def partner(db):
    """An active delivery platform (a partner that brings merchants), in Hubei."""
    from hejie.partners.models import Partner

    return Partner.objects.create(name="美食外卖平台", kind="platform", region_id="420000", status="active",
                                  onboard_status="active")


@pytest.fixture
def business(make_business):
    return make_business("武汉热干面馆")


@pytest.fixture
def consumer(make_user):
    return make_user("consumer", phone="13800138000")


@pytest.fixture
def staff(make_user, business):
    return make_user("business", business=business)


@pytest.fixture
def council(make_user):
    """Council staff of 武汉市 (420100)."""
    return make_user("council", region="420100")


@pytest.fixture
def traveller():
    """A travelling clock starting at T0 (2026-03-15 10:00 Shanghai), not ticking."""
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.fixture
def file_complaint(consumer, business, staff):
    from hejie.complaints.services import complaint_submit

    def file(who=None, biz=None, **extra):
        data = dict(
            problem_type="quality", description="买的热干面里有异物，要求退款。",
            claim_type="refund", claim_amount="38.00", purchase_amount="38.00",
        )
        data.update(extra)
        return complaint_submit(consumer=who or consumer, business_id=(biz or business).pk, **data)

    return file


@pytest.fixture
def delivered(traveller, file_complaint, staff):
    """An order delivered at T0."""
    return file_complaint()



# --- SMS providers: local fakes that speak Tencent's and Alibaba's protocols (tests/fakes) ---------

SMS_TEMPLATES = {"otp": "1001", "notice": "1002", "new_order": "1003"}
SMS_TEMPLATE_VARIABLES = {"1001": 2, "1002": 1, "1003": 1}


@pytest.fixture
def tencent_sms(settings):
    """A local Tencent Cloud SMS, and the settings that send every SMS to it through ``TencentSms``."""
    from tests.fakes.tencent_sms import FakeTencentSms

    conf = {"secret_id": "AKIDtest0000", "secret_key": "tencent-test-secret", "region": "ap-guangzhou",
            "sdk_app_id": "1400000001", "scheme": "http"}
    with FakeTencentSms(secret_id=conf["secret_id"], secret_key=conf["secret_key"], sdk_app_id=conf["sdk_app_id"],
                        sign_name="和解平台", templates=SMS_TEMPLATE_VARIABLES) as fake:
        settings.HEJIE_NOTIFICATION_BACKENDS = {
            **settings.HEJIE_NOTIFICATION_BACKENDS, "sms": "hejie.notifications.channels.tencent_sms.TencentSms"}
        settings.HEJIE_TENCENT_SMS = {**conf, "endpoint": f"127.0.0.1:{fake.port}"}
        settings.HEJIE_SMS_TEMPLATES = dict(SMS_TEMPLATES)
        settings.HEJIE_SMS_SIGN_NAME = "和解平台"
        settings.HEJIE_CHANNEL_TIMEOUT = 1.0
        yield fake


ALIYUN_SMS_TEMPLATES = {"otp": "SMS_1001", "notice": "SMS_1002", "new_order": "SMS_1003"}
ALIYUN_SMS_TEMPLATE_VARIABLES = {"SMS_1001": ["code", "minutes"], "SMS_1002": ["title"], "SMS_1003": ["title"]}


@pytest.fixture
def aliyun_sms(settings):
    """A local Alibaba Cloud SMS, and the settings that send every SMS to it through ``AliyunSms``."""
    from tests.fakes.aliyun_sms import FakeAliyunSms

    conf = {"access_key_id": "LTAItest0000", "access_key_secret": "aliyun-test-secret", "region_id": "cn-hangzhou"}
    with FakeAliyunSms(access_key_id=conf["access_key_id"], access_key_secret=conf["access_key_secret"],
                       sign_name="和解平台", templates=ALIYUN_SMS_TEMPLATE_VARIABLES) as fake:
        settings.HEJIE_NOTIFICATION_BACKENDS = {
            **settings.HEJIE_NOTIFICATION_BACKENDS, "sms": "hejie.notifications.channels.aliyun_sms.AliyunSms"}
        settings.HEJIE_ALIYUN_SMS = {**conf, "endpoint": f"http://127.0.0.1:{fake.port}/"}
        settings.HEJIE_SMS_TEMPLATES = dict(ALIYUN_SMS_TEMPLATES)
        settings.HEJIE_SMS_SIGN_NAME = "和解平台"
        settings.HEJIE_CHANNEL_TIMEOUT = 1.0
        yield fake
# --- email: a real SMTP server on 127.0.0.1 (tests/fakes/smtp.py) --------------------------------


@pytest.fixture
def smtp_server(settings):
    """A local SMTP server that keeps what it receives (``.messages``; ``.refuse``, ``.temporary``,
    ``.stall`` and ``.users`` make it answer otherwise), with Django's SMTP backend pointed at it
    and the email channel sending through it."""
    from tests.fakes.smtp import HOST, FakeSMTP

    with FakeSMTP() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        settings.HEJIE_NOTIFICATION_BACKENDS = {
            **settings.HEJIE_NOTIFICATION_BACKENDS, "email": "hejie.notifications.channels.email.EmailChannel"}
        yield server
# --- WeChat: the fake Official Account API (tests/fakes/wechat.py) ----------------------------

@pytest.fixture
def wechat(settings):
    """A fake WeChat API on a local port, configured as the site's WeChat (templates for the
    consumer's kinds of message) and as the ``wechat`` channel's backend."""
    from tests.fakes.wechat import APP_ID, APP_SECRET, FakeWeChat

    fake = FakeWeChat().start()
    settings.HEJIE_WECHAT = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "api_base": fake.base,
        "oauth_base": fake.base + "connect/",
        "templates": {"order_update": "tpl-order-update", "offer": "tpl-offer", "fulfilment": "tpl-fulfilment"},
    }
    settings.HEJIE_NOTIFICATION_BACKENDS = {
        **settings.HEJIE_NOTIFICATION_BACKENDS,
        "wechat": "hejie.notifications.channels.wechat.WeChatTemplate",
    }
    yield fake
    fake.stop()
# --- object storage: a real S3 server (moto's, in its own process) on 127.0.0.1 ------------------

S3_KEYS = {"access_key": "hejie-test-key", "secret_key": "hejie-test-secret"}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server, started once per test session as a subprocess on a free port of 127.0.0.1
    (the S3 API over HTTP, as MinIO or a cloud speaks it); yields its endpoint URL."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if proc.poll() is not None:
                raise RuntimeError(f"moto's S3 server exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=1).close()  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"moto's S3 server did not answer on {endpoint}: {log.read_text()[-2000:]}")
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class StoredFiles:
    """What a test's storage holds: ``names()`` (the stored names), ``read(name)``, ``kind``
    ("local" or "s3"); for S3 also ``client`` (boto3's, on the test's server) and ``bucket``."""

    def __init__(self, kind, root, client=None, bucket=None):
        self.kind, self.root, self.client, self.bucket = kind, root, client, bucket

    def local_names(self):
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def names(self):
        if self.kind == "local":
            return self.local_names()
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))

    def read(self, name):
        if self.kind == "local":
            return (self.root / name).read_bytes()
        return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()


@functools.cache
def s3_client(endpoint):
    """boto3's own client on the test server (one per session: making one takes about 0.3 s)."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=S3_KEYS["access_key"], aws_secret_access_key=S3_KEYS["secret_key"])


@pytest.fixture
def s3_storage(request, settings, tmp_path):
    """Uploaded files in a new private bucket of the session's S3 server, configured exactly as
    ``HEJIE_S3_BUCKET`` configures it (``core.storage.s3_storage``); MEDIA_ROOT is an empty folder
    of the test's, so that a file written to local disk by mistake shows. Returns ``StoredFiles``."""
    from hejie.core.storage import s3_storage as config

    endpoint = request.getfixturevalue("s3_server")
    bucket = f"hejie-test-{next(_serial)}-{os.getpid()}"
    client = s3_client(endpoint)
    client.create_bucket(Bucket=bucket)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": config(bucket=bucket, endpoint_url=endpoint, **S3_KEYS)}
    return StoredFiles("s3", tmp_path / "media", client, bucket)


@pytest.fixture
def local_storage(settings, tmp_path):
    """Uploaded files on local disk (the embedded default) in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return StoredFiles("local", tmp_path / "media")


@pytest.fixture(params=["local", "s3"])
def stored_files(request):
    """Each test that uses it runs twice: files on local disk, then in a bucket of the S3 server."""
    return request.getfixturevalue(f"{request.param}_storage")
