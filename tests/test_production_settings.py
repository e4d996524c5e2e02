"""The production settings (HEJIE_PRODUCTION=1), read at import time, so each case runs in its own
Python process with the environment set: `hejie check --deploy` is clean; missing or weak secrets
and missing hosts stop the start with one clear line; real responses (Django's test client, over
https) carry Secure and HttpOnly cookies, HSTS and the CSP; http is redirected except the probes;
X-Forwarded-Proto counts only from a trusted proxy; HEJIE_HTTPS=0 serves plain http. The embedded
default (this process's settings) keeps working over http.

The processes share one SQLite database migrated once for the module (copied for each), whatever
database the suite itself runs on: these tests are about settings, not storage."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KEY = secrets.token_urlsafe(50)
HOST = "hejie.example.gov.cn"
PASSWORD = "a-long-enough-password-2026"

# Run in the child: real requests through the whole middleware stack, reported as JSON.
PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from hejie.accounts.models import User

User.objects.filter(username="probe").delete()
user = User(username="probe", role="operator", is_staff=True, is_superuser=True)
user.set_password(PASSWORD)
user.save()

def cookies(response):
    return {name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
            for name, m in response.cookies.items()}

def headers(response):
    return {k.lower(): v for k, v in response.headers.items()}

out = {"settings": {name: getattr(settings, name) for name in (
    "DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "CSRF_TRUSTED_ORIGINS")}}
out["settings"]["SECURE_PROXY_SSL_HEADER"] = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
client = Client(HTTP_HOST=HOST)
page = client.get("/admin/login/", secure=SECURE)
out["login_page"] = {"status": page.status_code, "cookies": cookies(page), "headers": headers(page)}
signed_in = client.post("/admin/login/?next=/admin/", {"username": "probe", "password": PASSWORD,
                        "csrfmiddlewaretoken": page.cookies["csrftoken"].value}, secure=SECURE)
out["signed_in"] = {"status": signed_in.status_code, "location": signed_in.headers.get("Location"),
                    "cookies": cookies(signed_in)}
out["admin"] = client.get("/admin/", secure=SECURE).status_code
plain = Client(HTTP_HOST=HOST)
home = plain.get("/")
out["http_home"] = {"status": home.status_code, "location": home.headers.get("Location"), "headers": headers(home)}
out["http_healthz"] = plain.get("/healthz").status_code
for name, peer in (("proto_from_stranger", "203.0.113.9"), ("proto_from_proxy", "10.1.2.3")):
    r = plain.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=peer)
    out[name] = {"status": r.status_code, "hsts": r.headers.get("Strict-Transport-Security")}
print("PROBE " + json.dumps(out))
"""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HEJIE_", "DATABASE_", "DJANGO_", "CELERY_"))}
    env.update(DJANGO_SETTINGS_MODULE="hejie.settings", HEJIE_DATA_DIR=str(data_dir))
    env.update(extra)
    return env


def _production(data_dir: Path, **extra: str) -> dict[str, str]:
    return _env(data_dir, HEJIE_PRODUCTION="1", HEJIE_SECRET_KEY=KEY, HEJIE_ALLOWED_HOSTS=HOST, **extra)


def _python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,  # noqa: S603 - ours
                          timeout=120, check=False)


def _hejie(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _python(env, "-m", "hejie", *args)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A migrated SQLite database, made once (with the embedded settings) for every child."""
    folder = tmp_path_factory.mktemp("migrated")
    done = _hejie(_env(folder), "migrate", "--verbosity", "0")
    assert done.returncode == 0, done.stderr
    return folder / "hejie.sqlite3"


def _probe(migrated: Path, tmp_path: Path, env_for, *, secure: bool, **extra: str) -> dict:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(migrated, data_dir / "hejie.sqlite3")
    env = env_for(data_dir, **extra)
    code = f"PASSWORD = {PASSWORD!r}; HOST = {HOST!r}; SECURE = {secure!r}\n" + PROBE
    done = _python(env, "-c", code)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    done = _python(_production(tmp_path, HEJIE_TRUSTED_PROXIES="10.0.0.0/8", HEJIE_CSRF_TRUSTED_ORIGINS=f"https://{HOST}"),
                   "-c", "import django; django.setup(); from django.core.management import call_command; "
                   "call_command('check', deploy=True, fail_level='WARNING')")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


def test_check_deploy_warns_about_the_embedded_default(tmp_path):
    """The same check is not silenced wholesale: without production settings it does warn."""
    done = _hejie(_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr + done.stdout


@pytest.mark.parametrize(("extra", "message"), [
    ({"HEJIE_SECRET_KEY": ""}, "HEJIE_PRODUCTION=1 needs a secret key"),
    ({"HEJIE_SECRET_KEY": "short-and-guessable"}, "too weak"),
    ({"HEJIE_SECRET_KEY": "a" * 60}, "too weak"),
    ({"HEJIE_SECRET_KEY": "", "HEJIE_SECRET_KEY_FILE": "/nonexistent/hejie_secret"}, "cannot be read"),
    ({"HEJIE_ALLOWED_HOSTS": ""}, "needs HEJIE_ALLOWED_HOSTS"),
    ({"HEJIE_ALLOWED_HOSTS": " , "}, "needs HEJIE_ALLOWED_HOSTS"),
    ({"HEJIE_DEBUG": "1"}, "HEJIE_DEBUG cannot be on"),
    ({"HEJIE_HSTS_SECONDS": "a year"}, "not a whole number of seconds"),
])
def test_production_refuses_to_start_with_missing_or_bad_settings(tmp_path, extra, message):
    env = _production(tmp_path)
    env.update(extra)
    done = _hejie(env, "check")
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr  # one line that says what to set
    assert not (tmp_path / "secret_key").exists()  # production never invents a key


def test_the_secret_key_comes_from_a_file(tmp_path):
    key_file = tmp_path / "hejie_secret_key"
    key_file.write_text(KEY + "\n")
    env = _production(tmp_path, HEJIE_SECRET_KEY_FILE=str(key_file))
    del env["HEJIE_SECRET_KEY"]
    done = _python(env, "-c", "import django; django.setup(); from django.conf import settings; "
                   f"print(settings.SECRET_KEY == {KEY!r})")
    assert done.stdout.strip() == "True", done.stderr
    both = _hejie({**env, "HEJIE_SECRET_KEY": KEY}, "check")
    assert both.returncode != 0 and "not both" in both.stderr
    key_file.write_text("\n")
    empty = _hejie(env, "check")
    assert empty.returncode != 0 and "is empty" in empty.stderr


def test_production_over_https_sets_secure_httponly_cookies_and_hsts(migrated, tmp_path):
    out = _probe(migrated, tmp_path, _production, secure=True, HEJIE_TRUSTED_PROXIES="10.0.0.0/8")
    assert out["settings"]["DEBUG"] is False
    assert out["settings"]["ALLOWED_HOSTS"] == [HOST]
    assert out["settings"]["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]

    page = out["login_page"]
    assert page["status"] == 200
    assert page["cookies"]["csrftoken"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    h = page["headers"]
    assert h["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "preload" not in h["strict-transport-security"]
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    csp = h["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "form-action 'self'", "img-src 'self' data: blob:"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp

    signed_in = out["signed_in"]
    assert signed_in["status"] == 302 and signed_in["location"] == "/admin/"
    assert signed_in["cookies"]["sessionid"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert signed_in["cookies"]["csrftoken"]["secure"] is True  # rotated at sign-in, still Secure
    assert out["admin"] == 200

    # plain http is sent to https, except the probes of a load balancer
    assert out["http_home"]["status"] == 301
    assert out["http_home"]["location"] == f"https://{HOST}/"
    assert "strict-transport-security" not in out["http_home"]["headers"]  # HSTS only over https
    assert out["http_healthz"] == 200
    # X-Forwarded-Proto: believed from a trusted proxy only
    assert out["proto_from_stranger"]["status"] == 301
    assert out["proto_from_proxy"]["status"] == 200
    assert out["proto_from_proxy"]["hsts"] == "max-age=31536000; includeSubDomains"


def test_production_hsts_is_configurable(migrated, tmp_path):
    out = _probe(migrated, tmp_path, _production, secure=True, HEJIE_HSTS_SECONDS="3600",
                 HEJIE_HSTS_INCLUDE_SUBDOMAINS="0", HEJIE_HSTS_PRELOAD="1")
    assert out["login_page"]["headers"]["strict-transport-security"] == "max-age=3600; preload"


def test_production_with_https_off_serves_plain_http(migrated, tmp_path):
    out = _probe(migrated, tmp_path, _production, secure=False, HEJIE_HTTPS="0")
    assert out["settings"]["DEBUG"] is False
    assert out["settings"]["SECURE_SSL_REDIRECT"] is False and out["settings"]["SECURE_HSTS_SECONDS"] == 0
    assert out["login_page"]["cookies"]["csrftoken"] == {"secure": False, "httponly": True, "samesite": "Lax"}
    assert "strict-transport-security" not in out["login_page"]["headers"]
    assert out["signed_in"]["status"] == 302
    assert out["signed_in"]["cookies"]["sessionid"]["secure"] is False
    assert out["admin"] == 200
    assert out["http_home"]["status"] == 200
    assert "content-security-policy" in out["http_home"]["headers"]


def test_the_embedded_default_works_over_http(migrated, tmp_path):
    out = _probe(migrated, tmp_path, lambda d, **kw: _env(d, HEJIE_ALLOWED_HOSTS=HOST, **kw), secure=False)
    assert out["settings"]["SECURE_SSL_REDIRECT"] is False
    assert out["settings"]["SECURE_PROXY_SSL_HEADER"] is None
    assert out["login_page"]["status"] == 200
    assert out["login_page"]["cookies"]["csrftoken"] == {"secure": False, "httponly": True, "samesite": "Lax"}
    assert "strict-transport-security" not in out["login_page"]["headers"]
    assert "frame-ancestors 'none'" in out["login_page"]["headers"]["content-security-policy"]
    assert out["signed_in"]["status"] == 302
    assert out["signed_in"]["cookies"]["sessionid"] == {"secure": False, "httponly": True, "samesite": "Lax"}
    assert out["admin"] == 200
    assert out["http_home"]["status"] == 200
    assert out["proto_from_stranger"]["status"] == 200 and out["proto_from_stranger"]["hsts"] is None


def test_this_process_embedded_settings_over_http(client, django_user_model):
    """The suite's own settings are the embedded default: http works, cookies are not Secure."""
    page = client.get("/signin/")
    assert page.status_code == 200
    assert "Strict-Transport-Security" not in page.headers
    assert page.cookies["csrftoken"]["secure"] == "" and page.cookies["csrftoken"]["httponly"] is True
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("extra", "form_action"), [
    ({}, ["'self'"]),
    ({"HEJIE_WECHAT_APP_ID": "wx0123456789"}, ["'self'", "https://open.weixin.qq.com"]),
    ({"HEJIE_WECHAT_APP_ID": "wx0123456789", "HEJIE_WECHAT_OAUTH_BASE": "http://127.0.0.1:9999/connect/"},
     ["'self'", "http://127.0.0.1:9999"]),
])
def test_form_action_allows_wechat_sign_in_only_when_it_is_on(tmp_path, extra, form_action):
    """Binding WeChat posts a form whose answer redirects to WeChat, which form-action governs."""
    done = _python(_env(tmp_path, **extra), "-c", "import django, json; django.setup(); "
                   "from django.conf import settings; "
                   "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))")
    assert json.loads(done.stdout) == form_action, done.stderr
