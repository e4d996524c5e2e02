"""Settings, all from the environment.

Embedded default: SQLite in ``HEJIE_DATA_DIR`` (default ``./var``), nothing to
install or start. ``DATABASE_URL=postgres://...`` switches to PostgreSQL.
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HEJIE_DATA_DIR", "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = os.environ.get("HEJIE_SECRET_KEY")
    if key:
        return key
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
ALLOWED_HOSTS = [h for h in os.environ.get("HEJIE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("HEJIE_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# reverse proxies in front of Hejie (addresses or networks): their X-Forwarded-For names the client
# (hejie.core.http.client_ip); the per-address limits would otherwise count every client as the proxy
HEJIE_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("HEJIE_TRUSTED_PROXIES", "").split(",") if p.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "hejie.core",
    "hejie.regions",
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
    "django.middleware.security.SecurityMiddleware",
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

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
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Celery beat's one periodic task: the sweep, on the interval `hejie serve` uses in-process.
# 0 (or less) schedules no sweep here either: then cron runs `hejie sweep`, say.
CELERY_BEAT_SCHEDULE = (
    {"sweep": {"task": "hejie.sweep", "schedule": float(HEJIE_SWEEP_INTERVAL_SECONDS)}}
    if HEJIE_SWEEP_INTERVAL_SECONDS > 0 else {}
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "hejie": {"handlers": ["console"], "level": os.environ.get("HEJIE_LOG_LEVEL", "INFO")},
        "waitress": {"handlers": ["console"], "level": "INFO"},
    },
}
