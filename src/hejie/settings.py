"""Settings, all from the environment.

Embedded default: SQLite in ``HEJIE_DATA_DIR`` (default ``./var``), nothing to
install or start. ``DATABASE_URL=postgres://...`` switches to PostgreSQL.
"""

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from hejie.core.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HEJIE_DATA_DIR", "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Production settings (README "Production settings"): DEBUG off, the secret key and the allowed
# hosts required from the environment (or a file), Secure and HttpOnly cookies, HSTS, the HTTPS
# redirect. HEJIE_HTTPS=0 keeps the rest but serves plain http (a local stack without TLS).
PRODUCTION = _env_bool("HEJIE_PRODUCTION", False)
HTTPS = PRODUCTION and _env_bool("HEJIE_HTTPS", True)


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_seconds(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name}={value} is not a whole number of seconds.")
    return int(value)


def _secret_key() -> str:
    key = os.environ.get("HEJIE_SECRET_KEY", "").strip()
    key_file = os.environ.get("HEJIE_SECRET_KEY_FILE", "").strip()
    if key and key_file:
        raise ImproperlyConfigured("Set HEJIE_SECRET_KEY or HEJIE_SECRET_KEY_FILE, not both.")
    if key_file:
        try:
            key = Path(key_file).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"HEJIE_SECRET_KEY_FILE={key_file} cannot be read: {exc.strerror}.") from None
        if not key:
            raise ImproperlyConfigured(f"HEJIE_SECRET_KEY_FILE={key_file} is empty.")
    if key:
        if PRODUCTION and (len(key) < 50 or len(set(key)) < 5):
            raise ImproperlyConfigured(
                "The secret key is too weak for HEJIE_PRODUCTION=1: use at least 50 random characters, "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'.")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "HEJIE_PRODUCTION=1 needs a secret key: set HEJIE_SECRET_KEY, or HEJIE_SECRET_KEY_FILE to a file "
            "holding it (e.g. /run/secrets/hejie_secret_key); make one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'.")
    # A key generated once per data folder, so sessions survive restarts
    # without anybody having to invent a secret for the embedded default.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("HEJIE_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("HEJIE_DEBUG cannot be on with HEJIE_PRODUCTION=1: debug pages show settings and code.")
ALLOWED_HOSTS = _env_list("HEJIE_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "HEJIE_PRODUCTION=1 needs HEJIE_ALLOWED_HOSTS: the host names the site answers to, comma-separated "
        "(e.g. hejie.example.gov.cn).")
CSRF_TRUSTED_ORIGINS = _env_list("HEJIE_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "hejie.views.csrf_failure"
# reverse proxies in front of Hejie (addresses or networks): their X-Forwarded-For names the client
# (hejie.core.http.client_ip); the per-address limits would otherwise count every client as the proxy
HEJIE_TRUSTED_PROXIES = _env_list("HEJIE_TRUSTED_PROXIES")
if HEJIE_TRUSTED_PROXIES:
    # The proxy terminates TLS and says so in X-Forwarded-Proto. Only trusted when proxies are
    # declared, and then only from them: hejie.core.http.ForwardedProtoMiddleware drops the header
    # from any other peer before SecurityMiddleware reads it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Headers and cookies in every mode (the embedded default too).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # claim links carry a token: never sent to another site
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: the pages' JS takes the token from the form
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
# Over HTTPS (production unless HEJIE_HTTPS=0): cookies only over TLS, HSTS, http redirected.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# probes of a load balancer or an orchestrator speak plain http to the process itself
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = _env_seconds("HEJIE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and _env_bool("HEJIE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a promise to browser makers that is slow to take back: only on request.
SECURE_HSTS_PRELOAD = HTTPS and _env_bool("HEJIE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or not HTTPS else ["security.W021"]

# Content-Security-Policy (django-csp) on every response, in every mode: nothing from another
# origin, no inline script or style (the pages' JS and CSS are files under static/hejie/), images
# also from data: (CSS icons of the API docs) and blob: (the previews of photos being uploaded).
_WECHAT_OAUTH_BASE = os.environ.get("HEJIE_WECHAT_OAUTH_BASE", "https://open.weixin.qq.com/connect/")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        # binding WeChat is a form whose answer redirects to WeChat's sign-in, which form-action governs
        "form-action": [SELF, *([_origin(_WECHAT_OAUTH_BASE)] if os.environ.get("HEJIE_WECHAT_APP_ID") else [])],
    },
}


def _env_positive(name: str, default: int) -> int:
    """A whole number of seconds (or a count) from the environment, at least 1."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


# Sign-in throttling (hejie.accounts.throttle; README "Security"): wrong passwords and wrong SMS codes are
# counted per (account, client address) with a cool-off that doubles with each further failure, and per
# address across accounts; an attacker locks only the address they guess from, never the account.
HEJIE_SIGNIN_THROTTLE = {
    "failures": _env_positive("HEJIE_SIGNIN_FAILURES", 5),  # wrong tries per account and address, then a cool-off
    "cooloff": _env_positive("HEJIE_SIGNIN_COOLOFF", 15 * 60),  # the first cool-off (passwords), doubling
    "cooloff_max": _env_positive("HEJIE_SIGNIN_COOLOFF_MAX", 12 * 3600),  # the longest cool-off
    "ip_failures": _env_positive("HEJIE_SIGNIN_IP_FAILURES", 30),  # wrong tries per address, any accounts …
    "ip_window": _env_positive("HEJIE_SIGNIN_IP_WINDOW", 15 * 60),  # … within this rolling window
    "code_cooloff": _env_positive("HEJIE_SIGNIN_CODE_COOLOFF", 5 * 60),  # the first cool-off for SMS codes
    "code_failures": _env_positive("HEJIE_SIGNIN_CODE_MAX_WRONG", 30),  # wrong tries one code takes, all senders
}

INSTALLED_APPS = [
    "hejie.accounts.admin_apps.HejieAdminConfig",  # django.contrib.admin, its sign-in throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "hejie.core.apps.StaticFilesConfig",  # django.contrib.staticfiles, skipping source maps
    "csp",
    "ninja",  # its templates and static files: the API docs' Swagger UI from here, not from a CDN
    "hejie.core",
    "hejie.audit",
    "hejie.regions",
    "hejie.workdays",
    "hejie.businesses",
    "hejie.accounts",
    "hejie.complaints",
    "hejie.ratings",
    "hejie.notifications",
    "hejie.webhooks",
    "hejie.partners",
    "hejie.standards",
    "hejie.oversight",
    "hejie.ops",  # the top of the stack: demo data, `hejie serve`, the sweep schedule
]

MIDDLEWARE = [
    "hejie.core.http.ForwardedProtoMiddleware",
    # then operations (hejie.ops): the request id for every log line, the request metrics, and
    # /healthz, /readyz, /metrics answered before anything could redirect or refuse a probe
    "hejie.ops.requestid.RequestIdMiddleware",
    "hejie.ops.metrics.MetricsMiddleware",
    "hejie.ops.endpoints.EndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hejie.core.edge.EdgeInputMiddleware",  # NUL, lone surrogates, malformed bodies: refused before any view
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hejie.urls"
WSGI_APPLICATION = "hejie.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "hejie.web.common.context.navigation",
            ],
            "libraries": {"hejie": "hejie.web.common.templatetags"},
        },
    },
]

def _pool_options() -> dict:
    """``HEJIE_DB_POOL=min:max`` (e.g. ``2:10``): a psycopg connection pool per process (Django's
    built-in pooling, PostgreSQL only) instead of one persistent connection per thread."""
    spec = os.environ.get("HEJIE_DB_POOL", "").strip()
    if not spec:
        return {}
    low, _, high = spec.partition(":")
    return {"pool": {"min_size": int(low), "max_size": int(high or low), "timeout": 10}}


def _postgres(url: str) -> dict[str, Any]:
    pool = _pool_options()
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0 if pool else 60))
    if pool:
        config.setdefault("OPTIONS", {}).update(pool)
    return config


_database_url = os.environ.get("DATABASE_URL")
if _database_url:
    DATABASES = {"default": _postgres(_database_url)}
    if os.environ.get("HEJIE_TEST_DB_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["HEJIE_TEST_DB_NAME"]}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "hejie.sqlite3",  # Django takes a path
            "OPTIONS": {
                # IMMEDIATE: every transaction takes the write lock at BEGIN, so
                # two writers on one order serialise instead of failing midway.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": os.environ.get("HEJIE_TEST_SQLITE") or None},
        }
    }

# A read replica for the read-heavy pages (hejie.core.replica): public pages, open data, dashboards.
_replica_url = os.environ.get("DATABASE_REPLICA_URL")
if _replica_url:
    DATABASES["replica"] = _postgres(_replica_url) if not _replica_url.startswith("sqlite") else dict(
        dj_database_url.parse(_replica_url))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests: the primary stands in for it
DATABASE_ROUTERS = ["hejie.core.replica.ReplicaRouter"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# One catalog per area of the pages (locale/areas/<area>/<lang>/LC_MESSAGES/django.po),
# so that each area's strings live beside each other; the common one first wins.
LOCALE_PATHS = [BASE_DIR / "locale", *sorted((BASE_DIR / "locale" / "areas").glob("*"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the web pages' own CSS: no CDN, no web fonts
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it; whitenoise wants it to exist
MEDIA_ROOT = DATA_DIR / "media"
# Evidence is never served from a public media URL: only through a
# permission-checked view. MEDIA_URL is deliberately not routed.
MEDIA_URL = "/_private_media/"
# Uploads bigger than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a folder of Hejie's own, not the
# system's /tmp: a process killed mid-request leaves its spooled file there, and every start
# (hejie.ops's ready()) and `hejie drafts_purge` delete those older than an hour (hejie.core.uploads).
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "upload-tmp")
# Each uploaded PDF is parsed in a process of its own (hejie.complaints.pdfscan) with these limits.
HEJIE_PDF_CHECK_MEMORY_MB = int(os.environ.get("HEJIE_PDF_CHECK_MEMORY_MB", "512"))
HEJIE_PDF_CHECK_SECONDS = int(os.environ.get("HEJIE_PDF_CHECK_SECONDS", "20"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded files (evidence, draft files, appeal files) in a private S3-compatible bucket when
# HEJIE_S3_BUCKET is set (README "Object storage"); local disk under MEDIA_ROOT otherwise. Either
# way they are served only by the permission-checked views, streamed (hejie.core.storage).
HEJIE_S3_BUCKET = os.environ.get("HEJIE_S3_BUCKET", "").strip()
if HEJIE_S3_BUCKET:
    STORAGES["default"] = s3_storage(
        bucket=HEJIE_S3_BUCKET,
        endpoint_url=os.environ.get("HEJIE_S3_ENDPOINT_URL", "").strip() or None,
        access_key=os.environ.get("HEJIE_S3_ACCESS_KEY_ID", "").strip() or None,
        secret_key=os.environ.get("HEJIE_S3_SECRET_ACCESS_KEY", "").strip() or None,
        region=os.environ.get("HEJIE_S3_REGION", "").strip() or "us-east-1",
        addressing_style=os.environ.get("HEJIE_S3_ADDRESSING_STYLE", "").strip() or None,
    )
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Notification channels (README "Channels"): a backend per channel by dotted path. The log
# backend is the embedded default: `make run` needs no provider.
HEJIE_NOTIFICATION_BACKENDS = {
    "sms": os.environ.get("HEJIE_SMS_BACKEND", "hejie.notifications.backends.LogBackend"),
    # WeChat template messages once an Official Account is configured; the log until then
    "wechat": os.environ.get("HEJIE_WECHAT_BACKEND", "hejie.notifications.channels.wechat.WeChatTemplate"
                             if os.environ.get("HEJIE_WECHAT_APP_ID") else "hejie.notifications.backends.LogBackend"),
    "email": os.environ.get("HEJIE_EMAIL_BACKEND", "hejie.notifications.backends.LogBackend"),
    "webhook": os.environ.get("HEJIE_WEBHOOK_BACKEND", "hejie.notifications.backends.LogBackend"),
}


def _env_map(name: str) -> dict[str, str]:
    """``kind=value,kind=value`` from the environment (template ids by kind of message)."""
    pairs = (item.split("=", 1) for item in os.environ.get(name, "").split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs if k.strip() and v.strip()}


# SMS: the provider's template id for each kind of message (hejie.notifications.kinds; `notice`
# is the one used for a kind without its own, except `otp` and `claim`, which need theirs), and the
# signature the templates were approved with. One map for whichever provider HEJIE_SMS_BACKEND names
# (Tencent's numeric template ids, Alibaba's SMS_… codes).
HEJIE_SMS_TEMPLATES = _env_map("HEJIE_SMS_TEMPLATES")
HEJIE_SMS_SIGN_NAME = os.environ.get("HEJIE_SMS_SIGN_NAME", "")
HEJIE_TENCENT_SMS = {
    "secret_id": os.environ.get("HEJIE_TENCENT_SECRET_ID", ""),
    "secret_key": os.environ.get("HEJIE_TENCENT_SECRET_KEY", ""),
    "region": os.environ.get("HEJIE_TENCENT_SMS_REGION", "ap-guangzhou"),
    "sdk_app_id": os.environ.get("HEJIE_TENCENT_SMS_APP_ID", ""),
    "endpoint": os.environ.get("HEJIE_TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com"),
    "scheme": os.environ.get("HEJIE_TENCENT_SMS_SCHEME", "https"),
}
HEJIE_ALIYUN_SMS = {
    "access_key_id": os.environ.get("HEJIE_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("HEJIE_ALIYUN_ACCESS_KEY_SECRET", ""),
    "endpoint": os.environ.get("HEJIE_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "region_id": os.environ.get("HEJIE_ALIYUN_SMS_REGION", "cn-hangzhou"),
}
# The secret part of the SMS providers' delivery-report URLs (/hooks/sms/<provider>/<token>/).
HEJIE_SMS_REPORT_TOKEN = os.environ.get("HEJIE_SMS_REPORT_TOKEN", "")
# WeChat Official Account: web sign-in (OAuth) and template messages.
HEJIE_WECHAT = {
    "app_id": os.environ.get("HEJIE_WECHAT_APP_ID", ""),
    "app_secret": os.environ.get("HEJIE_WECHAT_APP_SECRET", ""),
    "api_base": os.environ.get("HEJIE_WECHAT_API_BASE", "https://api.weixin.qq.com/"),
    "oauth_base": os.environ.get("HEJIE_WECHAT_OAUTH_BASE", "https://open.weixin.qq.com/connect/"),
    "templates": _env_map("HEJIE_WECHAT_TEMPLATES"),
}
# Quiet hours (Asia/Shanghai) that hold non-urgent SMS until they end, for everyone who has not set
# their own; "" for none. The business's clocks keep running through them.
HEJIE_QUIET_HOURS = os.environ.get("HEJIE_QUIET_HOURS", "22:00-08:00")
# The daily digest (hejie.oversight.digest): each staff member's once a day, at or after this hour
# (Asia/Shanghai, 0-23), sent by the sweep; "off" (or "") sends none.
HEJIE_DIGEST_HOUR = (None if os.environ.get("HEJIE_DIGEST_HOUR", "8").strip().lower() in ("", "off")
                     else int(os.environ.get("HEJIE_DIGEST_HOUR", "8")))
# At most this many SMS (codes aside) to one number in an hour; the rest stay in the in-app notices.
HEJIE_SMS_PER_HOUR = int(os.environ.get("HEJIE_SMS_PER_HOUR", "20"))
# How long one call to a provider may take before it counts as a timeout (seconds).
HEJIE_CHANNEL_TIMEOUT = float(os.environ.get("HEJIE_CHANNEL_TIMEOUT", "10"))
# The site's public address, for links in messages (claim links, order links).
HEJIE_PUBLIC_URL = os.environ.get("HEJIE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Email (the email channel: hejie.notifications.channels.email.EmailChannel) goes through
# Django's email backend: SMTP by default, or any django-anymail provider by dotted path.
EMAIL_BACKEND = os.environ.get("HEJIE_DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("HEJIE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("HEJIE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("HEJIE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("HEJIE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("HEJIE_EMAIL_TLS", False)
EMAIL_USE_SSL = _env_bool("HEJIE_EMAIL_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("HEJIE_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("HEJIE_EMAIL_FROM", "和解平台 <noreply@localhost>")
HEJIE_SWEEP_INTERVAL_SECONDS = int(os.environ.get("HEJIE_SWEEP_INTERVAL_SECONDS", "60"))

# Webhooks to businesses' own systems. Private/loopback targets are refused
# (SSRF) unless explicitly allowed, e.g. for a closed network of the operator's.
HEJIE_WEBHOOK_ALLOW_PRIVATE = _env_bool("HEJIE_WEBHOOK_ALLOW_PRIVATE", False)
HEJIE_WEBHOOK_BACKGROUND = _env_bool("HEJIE_WEBHOOK_BACKGROUND", True)
HEJIE_WEBHOOK_RETENTION_DAYS = int(os.environ.get("HEJIE_WEBHOOK_RETENTION_DAYS", "30"))

# Background work. Without a broker (the embedded default) notifications are
# sent in-process after commit and `hejie serve` runs the sweep; with one,
# they go to Celery workers and Celery beat runs the sweep
# (`celery -A hejie worker -B`, web processes with `hejie serve --no-sweep`).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
# Results are not kept (tasks report through the database); a caller that wants
# one asks for it (ignore_result=False) and needs this backend, e.g. Redis.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
# Every task is safe to run twice (docs/architecture.md, "Workers and beat" says why, task by task),
# so a message is acknowledged only when its task has finished, and one whose worker died in the
# middle goes back to the queue for another worker; a worker takes one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
# A sweep pass holds a lease that expires this many seconds after its last renewal (a sweeper that
# died holding it blocks the next passes for at most this long): hejie.ops.sweep.
HEJIE_SWEEP_LOCK_SECONDS = int(os.environ.get("HEJIE_SWEEP_LOCK_SECONDS", "600"))
# Celery beat's schedule (one beat process per deployment). The sweep, on the interval `hejie serve`
# uses in-process, does everything due by the calendar: orders' deadlines, ratings, black-list
# ends, webhook and message retries, claim invitations sent again, the daily digests; a sweep
# message not taken within its interval expires (no backlog of sweeps after a worker's outage).
# Two daily jobs besides (Asia/Shanghai): the privacy purge at 03:30 (the retention policy: closed
# orders pseudonymised, drafts, codes and throttle rows deleted; hejie.complaints.retention), and
# the check of the daily figures against a recount of the orders at 04:00 (it logs differences;
# `hejie figures rebuild` is a person's decision). HEJIE_SWEEP_INTERVAL_SECONDS=0 schedules no sweep.
CELERY_BEAT_SCHEDULE = {
    **({"sweep": {"task": "hejie.sweep", "schedule": float(HEJIE_SWEEP_INTERVAL_SECONDS),
                  "options": {"expires": float(HEJIE_SWEEP_INTERVAL_SECONDS)}}}
       if HEJIE_SWEEP_INTERVAL_SECONDS > 0 else {}),
    "privacy-purge": {"task": "hejie.complaints.privacy_purge", "schedule": crontab(hour=3, minute=30)},
    "figures-check": {"task": "hejie.complaints.figures_check", "schedule": crontab(hour=4, minute=0)},
}

# Tests and rehearsals only: a file whose number of seconds is added to the clock of every process
# started with it (hejie.core.clock); never in production.
HEJIE_CLOCK_FILE = os.environ.get("HEJIE_CLOCK_FILE", "")
if HEJIE_CLOCK_FILE and _env_bool("HEJIE_PRODUCTION", False):
    raise ImproperlyConfigured("HEJIE_CLOCK_FILE moves the clock: it is for tests, not with HEJIE_PRODUCTION=1")

# Operations (README "Operations"). Logs: readable lines by default; HEJIE_LOG_FORMAT=json for one JSON
# object a line (python-json-logger), everything through one handler, each record with its request id.
HEJIE_LOG_FORMAT = os.environ.get("HEJIE_LOG_FORMAT", "text").strip().lower() or "text"
if HEJIE_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"HEJIE_LOG_FORMAT must be text or json, not {HEJIE_LOG_FORMAT!r}")
_LOG_LEVEL = os.environ.get("HEJIE_LOG_LEVEL", "INFO")
_JSON_LOGS = HEJIE_LOG_FORMAT == "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "hejie.ops.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        **({"json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "timestamp": "time",  # ISO 8601 in UTC, to the microsecond
            "rename_fields": {"levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        }} if _JSON_LOGS else {}),
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json" if _JSON_LOGS else "plain",
                             "filters": ["request_id"]}},
    # JSON: Django's, Celery's and the libraries' records too, all through the root's one handler
    **({"root": {"handlers": ["console"], "level": "WARNING"}} if _JSON_LOGS else {}),
    "loggers": {
        "hejie": {"handlers": [] if _JSON_LOGS else ["console"], "level": _LOG_LEVEL},
        "waitress": {"handlers": [] if _JSON_LOGS else ["console"], "level": "INFO"},
        **({"celery": {"level": "INFO"}} if _JSON_LOGS else {}),
    },
}
# A Celery worker keeps the handler above instead of putting its own plain one on the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = not _JSON_LOGS

# /readyz: how long the broker check may take, and how often a process runs the checks (seconds).
HEJIE_READYZ_TIMEOUT = float(os.environ.get("HEJIE_READYZ_TIMEOUT", "2"))
HEJIE_READYZ_MIN_INTERVAL = float(os.environ.get("HEJIE_READYZ_MIN_INTERVAL", "1"))
# /metrics: with a token, only `Authorization: Bearer <token>`; without one, only from this machine.
HEJIE_METRICS_TOKEN = os.environ.get("HEJIE_METRICS_TOKEN", "")
# Several processes (gunicorn workers, a prefork pool) add their metrics up in PROMETHEUS_MULTIPROC_DIR.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
# Error reports to Sentry when a DSN is set (hejie.ops.sentry; pip install 'hejie[sentry]').
HEJIE_SENTRY_DSN = os.environ.get("HEJIE_SENTRY_DSN", "")
HEJIE_SENTRY_ENVIRONMENT = os.environ.get("HEJIE_SENTRY_ENVIRONMENT", "")
HEJIE_SENTRY_RELEASE = os.environ.get("HEJIE_SENTRY_RELEASE", "")
HEJIE_SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("HEJIE_SENTRY_TRACES_SAMPLE_RATE", "0"))
