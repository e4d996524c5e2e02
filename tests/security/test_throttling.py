"""Sign-in throttling from the attacker's side (issue 15, findings 1 and 9; docs/security.md).

Every test drives a real server (pytest-django's ``live_server``) over HTTP with ``requests``, one
session per person. The server sits behind a trusted proxy (``HEJIE_TRUSTED_PROXIES = 127.0.0.1``),
so each visitor's ``X-Forwarded-For`` is the address the server sees, read by ``client_ip`` as in
production; one test drops the proxy and shows that a forged header then changes nothing. The clock
travels (``traveller``: time-machine moves the server's clock too, it runs in this process).

What must hold: wrong passwords or codes from one address cool that address off for that account,
with a cool-off that doubles; the owner, from another address, signs in throughout; one address
spraying many accounts is stopped; every face refuses with a clear message (the pages and the admin
a 429 page, the API a JSON 429), always with ``Retry-After``, never a 500; the operator sees the
failures in the admin.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import requests

from tests.conftest import last_code

PASSWORD = "right-pass-2026-hejie"  # noqa: S105 - a test account's password
WRONG = "wrong-pass-2026-hejie"  # noqa: S105
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
PHONE = "13800138000"
MINUTES = dt.timedelta(minutes=1)


class Visitor:
    """One person at one address, talking to the live server as a browser or an API client would."""

    def __init__(self, base: str, ip: str | None = None, language: str = "zh-hans") -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy from the environment between us and 127.0.0.1
        self.http.headers["Accept-Language"] = language
        if ip is not None:
            self.http.headers["X-Forwarded-For"] = ip

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=30)

    def form(self, path: str, data: dict[str, str]) -> requests.Response:
        """Open the page (for its CSRF cookie), then post the form as a browser would."""
        self.get(path)
        token = self.http.cookies.get("csrftoken", "")
        return self.http.post(self.base + path, data={**data, "csrfmiddlewaretoken": token},
                              headers={"Referer": self.base + path}, allow_redirects=False, timeout=30)

    def api(self, path: str, body: dict[str, str]) -> requests.Response:
        return self.http.post(self.base + "/api/v1" + path, json=body, timeout=30)

    def staff_signin(self, username: str, password: str) -> requests.Response:
        return self.form("/signin/staff/", {"username": username, "password": password})

    def admin_signin(self, username: str, password: str) -> requests.Response:
        return self.form("/admin/login/?next=/admin/", {"username": username, "password": password,
                                                         "next": "/admin/"})

    def token(self, username: str, password: str) -> requests.Response:
        return self.api("/auth/token", {"username": username, "password": password})


@pytest.fixture
def site(live_server, settings, reference_data):
    """The live server behind a trusted proxy: a visitor's X-Forwarded-For is their address."""
    settings.HEJIE_TRUSTED_PROXIES = ["127.0.0.1"]
    return live_server.url


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def clerk(make_user, make_business):
    user = make_user("business", business=make_business(), username="clerk")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def operator(make_user):
    user = make_user("operator", username="root", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def signed_in(response: requests.Response, visitor: Visitor) -> bool:
    return response.status_code == 302 and "sessionid" in visitor.http.cookies


# --- passwords: the staff pages ------------------------------------------------------------------


def test_guessing_a_staff_password_cools_the_guessers_address_off_with_backoff_never_the_owner(
        site, traveller, clerk):
    attacker, owner = Visitor(site, ATTACKER), Visitor(site, OWNER)
    for _ in range(5):
        assert attacker.staff_signin("clerk", WRONG).status_code == 401
    refused = attacker.staff_signin("clerk", PASSWORD)  # the right password, from the guesser's address
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert "该账号在此网络的密码错误次数过多，请15分钟后再试" in refused.text
    assert "sessionid" not in attacker.http.cookies

    assert signed_in(owner.staff_signin("clerk", PASSWORD), owner)  # the owner, elsewhere: in at once

    traveller.shift(15 * MINUTES - dt.timedelta(seconds=1))
    assert attacker.staff_signin("clerk", PASSWORD).headers["Retry-After"] == "1"
    traveller.shift(dt.timedelta(seconds=1))
    assert attacker.staff_signin("clerk", WRONG).status_code == 401  # one more guess is checked …
    again = attacker.staff_signin("clerk", PASSWORD)
    assert again.status_code == 429 and again.headers["Retry-After"] == "1800"  # … and doubles the cool-off
    assert signed_in(Visitor(site, OWNER).staff_signin("clerk", PASSWORD), owner)  # the owner still

    traveller.shift(30 * MINUTES)
    later = Visitor(site, ATTACKER)
    assert signed_in(later.staff_signin("clerk", PASSWORD), later)  # after the cool-off: accepted


def test_the_refusal_reads_in_english_too(site, traveller, clerk):
    attacker = Visitor(site, ATTACKER, language="en")
    for _ in range(5):
        attacker.staff_signin("clerk", WRONG)
    refused = attacker.staff_signin("clerk", PASSWORD)
    assert refused.status_code == 429
    assert "Too many wrong passwords for this account from this network; try again in 15 minutes" in refused.text


def test_one_address_spraying_many_usernames_is_stopped(site, traveller, clerk):
    attacker = Visitor(site, ATTACKER)
    for n in range(30):  # a few guesses each at many accounts: no pair reaches its limit
        assert attacker.token(f"user{n}", WRONG).status_code == 401
    refused = attacker.token("someone-else", WRONG)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert refused.json()["error"]["message"] == "此网络密码错误次数过多：15分钟内最多30次，请15分钟后再试"
    assert attacker.token("clerk", PASSWORD).status_code == 429  # a real account's right password too
    assert attacker.staff_signin("clerk", PASSWORD).status_code == 429  # and on the pages
    assert Visitor(site, OWNER).token("clerk", PASSWORD).status_code == 200


def test_api_password_login_answers_a_json_429_with_retry_after(site, traveller, clerk):
    attacker = Visitor(site, ATTACKER)
    for _ in range(5):
        r = attacker.token("clerk", WRONG)
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    traveller.shift(5 * MINUTES)
    r = attacker.token("clerk", PASSWORD)
    assert r.status_code == 429 and r.headers["Retry-After"] == "600"
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"error": {"code": "rate_limited", "fields": {},
                                  "message": "该账号在此网络的密码错误次数过多，请10分钟后再试"}}
    en = Visitor(site, ATTACKER, language="en").token("clerk", PASSWORD)
    assert en.json()["error"]["message"] == (
        "Too many wrong passwords for this account from this network; try again in 10 minutes")
    assert Visitor(site, OWNER).token("clerk", PASSWORD).status_code == 200


def test_unknown_usernames_are_refused_like_known_ones(site, traveller, clerk):
    attacker = Visitor(site, ATTACKER)
    for _ in range(5):
        attacker.token("clerk", WRONG)
        attacker.token("no-such-user", WRONG)
    known, ghost = attacker.token("clerk", WRONG), attacker.token("no-such-user", WRONG)
    assert (known.status_code, known.headers["Retry-After"]) == (ghost.status_code, ghost.headers["Retry-After"])
    assert known.json()["error"]["message"] == ghost.json()["error"]["message"]


# --- passwords: the operator admin ---------------------------------------------------------------


def test_the_admin_sign_in_is_throttled_and_the_operator_sees_the_guesses(site, traveller, operator):
    attacker, owner = Visitor(site, ATTACKER), Visitor(site, OWNER)
    for _ in range(5):
        page = attacker.admin_signin("root", WRONG)
        assert page.status_code == 200 and "sessionid" not in attacker.http.cookies
    refused = attacker.admin_signin("root", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert "该账号在此网络的密码错误次数过多，请15分钟后再试" in refused.text
    assert "sessionid" not in attacker.http.cookies

    assert signed_in(owner.admin_signin("root", PASSWORD), owner)  # the operator, elsewhere
    failures = owner.get("/admin/accounts/passwordfailure/")
    assert failures.status_code == 200
    assert failures.text.count(ATTACKER) >= 5 and "root" in failures.text

    traveller.shift(15 * MINUTES)
    later = Visitor(site, ATTACKER)
    assert signed_in(later.admin_signin("root", PASSWORD), later)


def test_a_non_staff_account_s_right_password_still_does_not_open_the_admin(site, traveller, clerk):
    visitor = Visitor(site, OWNER)
    page = visitor.admin_signin("clerk", PASSWORD)
    assert page.status_code == 200 and "sessionid" not in visitor.http.cookies


# --- the address is the one the project trusts ---------------------------------------------------


def test_a_forged_forwarded_for_does_not_escape_without_a_trusted_proxy(site, settings, traveller, clerk):
    settings.HEJIE_TRUSTED_PROXIES = []  # no proxy: every visitor is REMOTE_ADDR, whatever they claim
    for n in range(5):
        assert Visitor(site, f"192.0.2.{n}").token("clerk", WRONG).status_code == 401
    refused = Visitor(site, "192.0.2.99").token("clerk", PASSWORD)
    assert refused.status_code == 429  # all five came from 127.0.0.1, and so does this one


def test_behind_the_proxy_a_client_cannot_pick_its_address_by_prepending_one(site, traveller, clerk):
    for n in range(5):
        visitor = Visitor(site)
        visitor.http.headers["X-Forwarded-For"] = f"10.9.9.{n}, {ATTACKER}"  # the proxy appended the real one
        assert visitor.token("clerk", WRONG).status_code == 401
    visitor = Visitor(site)
    visitor.http.headers["X-Forwarded-For"] = f"10.9.9.77, {ATTACKER}"
    assert visitor.token("clerk", PASSWORD).status_code == 429


# --- sign-in codes by SMS (finding 9) -----------------------------------------------------------


def test_wrong_codes_from_an_attacker_do_not_stop_the_owner_signing_in(site, traveller, sms):
    owner, attacker = Visitor(site, OWNER), Visitor(site, ATTACKER)
    assert owner.form("/signin/", {"phone": PHONE}).status_code == 302
    code = last_code(sms)
    for _ in range(4):
        r = attacker.api("/auth/token", {"phone": PHONE, "code": wrong(code)})
        assert r.status_code == 422 and r.json()["error"]["code"] == "code_wrong"
    r = attacker.api("/auth/token", {"phone": PHONE, "code": wrong(code)})
    assert r.status_code == 429 and r.headers["Retry-After"] == "300"
    assert r.json()["error"]["code"] == "code_throttled"
    for guess in ("000000", "111111", code):  # cooling off: nothing is checked, not even the right code
        r = attacker.api("/auth/token", {"phone": PHONE, "code": guess})
        assert r.status_code == 429 and r.json()["error"]["message"] == "此网络验证码错误次数过多，请5分钟后再试"

    page = owner.form("/signin/code/", {"code": code})  # the owner, with the code they were sent
    assert signed_in(page, owner)

    traveller.shift(5 * MINUTES)  # the attacker's next guess, after the cool-off, doubles it
    assert owner.get("/complaints/").status_code == 200
    other = Visitor(site, OWNER)
    assert other.api("/auth/code", {"phone": PHONE}).status_code == 202
    fresh = last_code(sms)
    assert attacker.api("/auth/token", {"phone": PHONE, "code": wrong(fresh)}).headers["Retry-After"] == "600"
    assert other.api("/auth/token", {"phone": PHONE, "code": fresh}).status_code == 200


def test_many_addresses_can_kill_a_code_but_the_owner_gets_a_fresh_one(site, traveller, sms):
    owner = Visitor(site, OWNER)
    assert owner.api("/auth/code", {"phone": PHONE}).status_code == 202
    code = last_code(sms)
    for n in range(30):  # six addresses, five guesses each: the code takes thirty wrong tries in all
        r = Visitor(site, f"203.0.113.{n // 5 + 1}").api("/auth/token", {"phone": PHONE, "code": wrong(code)})
        assert r.status_code in (422, 429)
    r = owner.api("/auth/token", {"phone": PHONE, "code": code})
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_locked"
    traveller.shift(MINUTES)  # the number's own limit: a code a minute
    assert owner.api("/auth/code", {"phone": PHONE}).status_code == 202
    assert owner.api("/auth/token", {"phone": PHONE, "code": last_code(sms)}).status_code == 200


def test_one_address_guessing_codes_of_many_phones_is_stopped(site, settings, traveller, sms):
    settings.HEJIE_SIGNIN_THROTTLE = {**settings.HEJIE_SIGNIN_THROTTLE, "ip_failures": 8}
    phones = ["13800138001", "13800138002"]
    codes = {}
    for n, phone in enumerate(phones):
        assert Visitor(site, f"198.51.100.{n + 10}").api("/auth/code", {"phone": phone}).status_code == 202
        codes[phone] = last_code(sms)
    attacker = Visitor(site, ATTACKER)
    for phone in phones:
        for _ in range(4):  # four per phone: no pair reaches five
            assert attacker.api("/auth/token", {"phone": phone, "code": wrong(codes[phone])}).status_code == 422
    r = attacker.api("/auth/token", {"phone": phones[0], "code": codes[phones[0]]})
    assert r.status_code == 429 and r.json()["error"]["message"].startswith("此网络验证码错误次数过多：15分钟内最多8次")
    owner = Visitor(site, "198.51.100.10")
    assert owner.api("/auth/token", {"phone": phones[0], "code": codes[phones[0]]}).status_code == 200


def test_the_owner_s_own_typos_on_the_code_page_say_when_to_return(site, traveller, sms):
    owner = Visitor(site, OWNER, language="en")
    owner.form("/signin/", {"phone": PHONE})
    code = last_code(sms)
    for _ in range(4):
        assert owner.form("/signin/code/", {"code": wrong(code)}).status_code == 422
    page = owner.form("/signin/code/", {"code": wrong(code)})
    assert page.status_code == 429 and page.headers["Retry-After"] == "300"
    assert "Too many wrong codes; try again in 5 minutes" in page.text


def test_the_operator_sees_the_wrong_codes_and_where_they_came_from(site, traveller, sms, operator):
    Visitor(site, OWNER).api("/auth/code", {"phone": PHONE})
    code = last_code(sms)
    for _ in range(3):
        Visitor(site, ATTACKER).api("/auth/token", {"phone": PHONE, "code": wrong(code)})
    admin = Visitor(site, "192.0.2.1")
    assert signed_in(admin.admin_signin("root", PASSWORD), admin)
    page = admin.get("/admin/accounts/codefailure/")
    assert page.status_code == 200 and page.text.count(ATTACKER) >= 3 and PHONE in page.text


# --- the class: no sign-in path beside the throttle ---------------------------------------------


def test_no_code_checks_a_password_outside_the_throttled_services():
    """A new face that checked a password itself (``authenticate()``, ``check_password()``, Django's
    ``LoginView`` or ``AuthenticationForm``) would bypass the throttle: only the accounts services
    (``password_authenticate``, ``password_change``) and the admin's throttled form may."""
    import hejie

    allowed = {Path("accounts/services.py"), Path("accounts/admin_site.py")}
    pattern = re.compile(r"(?<!def )(?<![\w.])authenticate\(|\.check_password\(|LoginView|AuthenticationForm|"
                         r"django\.contrib\.auth\.urls")
    root = Path(hejie.__file__).parent
    offenders = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                       if path.relative_to(root) not in allowed and "migrations" not in path.parts
                       and pattern.search(path.read_text(encoding="utf-8")))
    assert offenders == []


def test_the_admin_site_is_the_throttled_one():
    from django.contrib import admin

    from hejie.accounts.admin_site import HejieAdminSite, ThrottledAdminLoginForm

    assert isinstance(admin.site, HejieAdminSite) and admin.site.login_form is ThrottledAdminLoginForm


def test_the_settings_come_from_the_environment_and_a_bad_value_is_refused(tmp_path):
    import os
    import subprocess
    import sys

    script = "from hejie import settings; print(settings.HEJIE_SIGNIN_THROTTLE)"
    env = {**os.environ, "HEJIE_DATA_DIR": str(tmp_path), "HEJIE_SIGNIN_FAILURES": "3",
           "HEJIE_SIGNIN_COOLOFF": "60", "HEJIE_SIGNIN_IP_WINDOW": "3600"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603 - our own settings
    assert "'failures': 3" in out and "'cooloff': 60" in out and "'ip_window': 3600" in out
    assert "'cooloff_max': 43200" in out and "'code_cooloff': 300" in out  # the defaults
    env["HEJIE_SIGNIN_FAILURES"] = "five"
    bad = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)  # noqa: S603
    assert bad.returncode != 0 and "HEJIE_SIGNIN_FAILURES must be a whole number of at least 1" in bad.stderr
