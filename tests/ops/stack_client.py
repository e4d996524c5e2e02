"""What the end-to-end tests of the stack do to it from outside: put a business with an
on-duty staff member, who has turned quiet hours off, into its database (``hejie shell`` with
the stack's environment: the only step not over HTTP, since joining takes a council's
approval), and talk to its API as a consumer would."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import requests

from tests.conftest import make_credit_code

SEED = """
import json
from hejie.accounts.models import User
from hejie.businesses.models import Business, Industry
from hejie.core import clock
from hejie.notifications.models import ChannelSettings
from hejie.regions.models import Region
r = Region.objects.get(code="420102")
b = Business.objects.create(name={name!r}, name_initials="dd", credit_code={code!r},
    industry=Industry.objects.get(code="catering"), region=r, region_l1=r.l1, region_l2=r.l2, region_l3=r.l3,
    status="active", approved_at=clock.now())
admin = User.objects.create(username={username!r}, role="business", business=b, is_business_admin=True,
    mobile={mobile!r}, mobile_verified_at=clock.now(), on_duty=True)
ChannelSettings.objects.create(user=admin, quiet_hours=False)  # the smoke test must not depend on the hour
print("SEED " + json.dumps({{"business_id": b.pk}}))
"""


def seed_business(env: Mapping[str, str]) -> dict[str, Any]:
    """A business with an on-duty admin whose SMS number is confirmed; returns its id and the
    admin's mobile."""
    n = int(uuid.uuid4().int % 10**8)
    mobile = f"137{n:08d}"
    script = SEED.format(name=f"端到端测试餐馆{n}", code=make_credit_code(n % 10**9), username=f"e2e_{n}",
                         mobile=mobile)
    done = subprocess.run(["hejie", "shell", "-c", script], env=dict(env),  # noqa: S603, S607 - our command
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("SEED ")]
    return {**json.loads(line[5:]), "mobile": mobile}


def until(what: str, check: Callable[[], Any], timeout: float, logs: Callable[[], str] = lambda: "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout:.0f} s: {what}\n{logs()}")
        time.sleep(0.1)


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.token = ""

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> requests.Response:
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.session.request(method, self.base + path, json=body, headers=headers, timeout=30)

    def file_complaint(self, business_id: int) -> dict[str, Any]:
        r = self.call("POST", "/complaints", {
            "business_id": business_id, "problem_type": "quality", "claim_type": "refund", "claim_amount": "36",
            "description": "豆皮里吃出一根头发，店员不予处理，要求退款。"}, **{"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        assert created["state"] == "delivered", created
        return created
