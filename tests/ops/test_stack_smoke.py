"""The smoke test `make stack-test` runs through the stack it started (``hejie.ops.stack``:
moto's S3 server, granian, a Celery worker and beat, PostgreSQL, Redis; production settings
over plain http). Skipped anywhere else (marker ``stack``).

Readiness answers; a consumer signs in with the code the worker sent (the default SMS backend
writes it to the worker's log); files a complaint over HTTP and the worker sends the business's
staff the new-order SMS; a photo uploaded as evidence is read back through another request,
and lands in the bucket when the evidence storage is S3 (HEJIE_S3_BUCKET)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import uuid

import pytest
from PIL import Image

from hejie.ops.stack import from_environment
from tests.ops.stack_client import Api, seed_business, until

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(os.environ.get("HEJIE_STACK_TEST") != "1",
                       reason="runs against the stack `make stack-test` starts (HEJIE_STACK_TEST=1)"),
]


@pytest.fixture
def stack():
    s = from_environment(os.environ.get("STACK_ROOT", "var/stack"))
    down = [name for name in ("s3", "web", "worker", "beat") if not s.running(name)]
    assert not down, f"not running: {down} (see {s.root})"
    return s


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_smoke_through_the_stack(stack):
    worker_log = stack.log_file("worker")
    logs = lambda: worker_log.read_text(errors="replace")[-5000:]  # noqa: E731

    # readiness: /readyz (database, broker, storage) where this version has it, else /healthz
    ready = stack.web_ready()
    assert ready in ("/readyz", "/healthz", "/"), ready
    print(f"ready by {ready}")

    seeded = seed_business(stack.environment())
    api = Api(stack.url)

    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    start = worker_log.stat().st_size  # the log outlives a stack: read only what this test causes

    def new_lines() -> str:
        with worker_log.open("rb") as f:
            f.seek(start)
            return f.read().decode(errors="replace")

    r = api.call("POST", "/auth/code", {"phone": phone})
    assert r.status_code == 202, r.text
    line = until("the sign-in code sent by the worker", lambda: re.search(
        rf"\[sms → {phone}\][^\n]*?(\d{{6}})", new_lines()), 30, logs)
    r = api.call("POST", "/auth/token", {"phone": phone, "code": line.group(1)})
    assert r.status_code == 200, r.text
    api.token = r.json()["token"]

    order = api.file_complaint(seeded["business_id"])
    until("the new-order SMS sent by the worker", lambda: f"[sms → {seeded['mobile']}] 新投诉 {order['number']}"
          in new_lines(), 30, logs)

    # evidence: uploaded through one request, read back through others (any of the web processes)
    photo = _jpeg()
    r = api.session.post(f"{api.base}/complaints/{order['id']}/evidence",
                         files={"file": ("小票.jpg", photo, "image/jpeg")},
                         headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
    assert r.status_code == 201, r.text
    item = r.json()
    for _ in range(3):
        got = api.session.get(stack.url + item["url"], headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
        assert got.status_code == 200 and got.content[:3] == b"\xff\xd8\xff", got.status_code
    show = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"
    backend = subprocess.run(["hejie", "shell", "-c", show],  # noqa: S603, S607 - our command
        env=stack.environment(), capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    listing = api.session.get(f"http://{stack.host}:{stack.s3_port}/{stack.environment()['HEJIE_S3_BUCKET']}",
                              timeout=10).text
    if "s3" in backend.lower():
        assert "<Key>" in listing, listing
    else:
        print(f"evidence storage is {backend}: the bucket is not used by this version")
