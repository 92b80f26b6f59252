"""Django settings, configured from the environment.

The embedded default (no environment at all) runs on a SQLite file under ``var/`` with an
in-process task consumer. Production is selected with ``ONETHING_ENV=production`` and then
refuses to start with the development secret or with DEBUG on.

Environment variables:
    ONETHING_ENV            ``development`` (default) or ``production``
    ONETHING_SECRET_KEY     secret key (required in production)
    DJANGO_DEBUG            ``1``/``0``; defaults to on in development, off in production
    DATABASE_URL            e.g. ``postgres://user@127.0.0.1:5432/onething``; default SQLite
    ONETHING_VAR_DIR        where the SQLite file, uploads and task DB live (default ``./var``)
    ONETHING_TASKS_URL      ``redis://…`` for Redis-backed huey; default SQLite huey in var/
    ONETHING_ALLOWED_HOSTS  comma-separated host names
    ONETHING_PUBLIC_URL     absolute URL used in QR codes (default http://127.0.0.1:8000)
    ONETHING_LICENCE_KEY_DIR  private e-licence signing keys (default ``var/keys``)
    ONETHING_NODE_KEY_DIR     this node's private 跨省通办 signing keys (default ``var/node-keys``)
    ONETHING_FEDERATION_TIMEOUT        seconds the relay waits for a peer's answer (default 10)
    ONETHING_FEDERATION_CLAIM_TIMEOUT  seconds before an unconfirmed relay claim is re-sent (default 300)
    ONETHING_LICENCE_SIGNER   ``ed25519`` (default) or another registered signer plugin
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

ENV = os.environ.get("ONETHING_ENV", "development")
PRODUCTION = ENV == "production"
_DEV_SECRET = "onething-development-secret-not-for-production"  # noqa: S105 - refused in production


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ONETHING_VAR_DIR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("ONETHING_SECRET_KEY", _DEV_SECRET)
DEBUG = _flag("DJANGO_DEBUG", not PRODUCTION)

if PRODUCTION:
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("生产环境必须通过 ONETHING_SECRET_KEY 设置至少32位的密钥")
    if DEBUG:
        raise ImproperlyConfigured("生产环境不得开启 DEBUG（DJANGO_DEBUG）")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ONETHING_ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS and not PRODUCTION:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]
PUBLIC_URL = os.environ.get("ONETHING_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # before staticfiles: its runserver (a listen backlog for bursts) replaces staticfiles' one
    "onething.core",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "huey.contrib.djhuey",
    # the API docs UI (Swagger) from the app's own static files, no CDN
    "ninja",
    "onething.directory",
    "onething.accounts",
    "onething.calendar",
    "onething.audit",
    "onething.notifications",
    "onething.clocks",
    "onething.documents",
    "onething.catalog",
    "onething.search",
    "onething.guides",
    "onething.sharing",
    "onething.licences",
    "onething.halls",
    "onething.cases",
    "onething.ratings",
    "onething.hotline",
    "onething.federation",
    "onething.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files from the app itself (DEBUG off, gunicorn): compressed, cached, no CDN
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # field names in messages by the app a request is for (core.text.register_surface)
    "onething.core.middleware.SurfaceLabels",
    # last, so its refusals still pass through CSP and the other headers on the way out
    "onething.core.middleware.RefuseUnstorableInput",
]

ROOT_URLCONF = "onething.conf.urls"
WSGI_APPLICATION = "onething.conf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onething.web.context.portal",
                "onething.notifications.context.unread",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'onething.sqlite3'}",
        conn_max_age=int(os.environ.get("ONETHING_DB_CONN_MAX_AGE", "60")),
    )
}
_EMBEDDED = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" or not os.environ.get(
    "ONETHING_TASKS_URL", ""
).startswith("redis://")
if _EMBEDDED:
    # SQLite files (database, huey) live in VAR_DIR; a fresh clone has no var/ yet, and huey opens
    # its file when Django starts, so every command would fail with "unable to open database file".
    VAR_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    if _flag("ONETHING_PG_SERVER_BINDING", True):
        # Parameters travel apart from the SQL (extended protocol) and psycopg prepares a
        # statement after its 5th use: less client CPU (no literal quoting) and no re-planning in
        # PostgreSQL. Measured on intake, ~12 % of its CPU (docs/performance.md).
        # ONETHING_PG_SERVER_BINDING=0 turns it off (e.g. behind a transaction-pooling pgbouncer).
        _options["server_side_binding"] = True
    _POOL_MAX = int(os.environ.get("ONETHING_DB_POOL_MAX", "16"))
    if _POOL_MAX > 0:
        # Django's psycopg pool: a process holds at most _POOL_MAX connections whatever its
        # threads do. Persistent per-thread connections (CONN_MAX_AGE) leak under a threaded
        # server — every finished thread leaves its connection open until PostgreSQL runs out
        # of slots ("too many clients"). A request borrows a connection and gives it back when it
        # ends; one that finds none free waits up to ONETHING_DB_POOL_TIMEOUT seconds.
        # Size it so processes × _POOL_MAX stays below the server's max_connections.
        _options["pool"] = {
            "min_size": 1,
            "max_size": _POOL_MAX,
            "timeout": float(os.environ.get("ONETHING_DB_POOL_TIMEOUT", "20")),
            "max_idle": 300,
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections, not the threads
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ONETHING_TEST_DB_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Production serves what `collectstatic` wrote (hashed names, compressed, cached forever); the
# embedded mode (`make run`, DEBUG off) serves the apps' static folders as they are.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:  # nothing is collected there, and nothing needs to be
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
MEDIA_ROOT = VAR_DIR / "uploads"  # never served directly: downloads go through a permission check
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _flag("ONETHING_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("ONETHING_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

AXES_FAILURE_LIMIT = int(os.environ.get("ONETHING_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "web/lockout.html"  # the Chinese page, not axes' English text

# --- tasks (huey) ---------------------------------------------------------------------------
_TASKS_URL = os.environ.get("ONETHING_TASKS_URL", "")
if _TASKS_URL.startswith("redis://"):
    HUEY = {"huey_class": "huey.RedisHuey", "name": "onething", "url": _TASKS_URL, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "onething",
        "filename": str(VAR_DIR / "tasks.sqlite3"),
        "immediate": _flag("ONETHING_TASKS_IMMEDIATE", False),
    }

# --- platform settings ------------------------------------------------------------------------
ONETHING = {
    "NOTIFICATION_BACKENDS": [b for b in os.environ.get("ONETHING_NOTIFY", "inbox,console").split(",") if b],
    # Extra modules that register notification channels (a deployment's own SMS gateway …).
    "NOTIFICATION_MODULES": [m for m in os.environ.get("ONETHING_NOTIFY_MODULES", "").split(",") if m],
    # Outbox delivery (notifications.delivery): attempts per message, first retry after this many
    # seconds (doubling), and how long a claim may stay unconfirmed before it is sent again.
    "NOTIFY_MAX_ATTEMPTS": int(os.environ.get("ONETHING_NOTIFY_MAX_ATTEMPTS", "5")),
    "NOTIFY_RETRY_SECONDS": float(os.environ.get("ONETHING_NOTIFY_RETRY_SECONDS", "60")),
    "NOTIFY_CLAIM_TIMEOUT": float(os.environ.get("ONETHING_NOTIFY_CLAIM_TIMEOUT", "600")),
    # This node's province (GB/T 2260, 6 digits): application numbers it mints for regions of
    # another province carry it, so they never equal the numbers that province's node mints.
    "NODE_REGION": os.environ.get("ONETHING_NODE_REGION", "430000"),
    "UPLOAD_MAX_BYTES": int(os.environ.get("ONETHING_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))),
    # Uploaded files per material line and per application (counted under the application lock).
    "UPLOAD_MAX_PER_MATERIAL": int(os.environ.get("ONETHING_UPLOAD_MAX_PER_MATERIAL", "5")),
    "UPLOAD_MAX_PER_APPLICATION": int(os.environ.get("ONETHING_UPLOAD_MAX_PER_APPLICATION", "40")),
    "SEARCH_BACKEND": os.environ.get("ONETHING_SEARCH_BACKEND", "auto"),
    # Follow-up work of a commit (audit chain linking, notifications): "background" — one
    # worker thread per process (onething.core.background) — or "inline" (tests, commands).
    "AFTER_COMMIT": os.environ.get("ONETHING_AFTER_COMMIT", "background"),
    # E-licence signing (licences.keys): the signer plugin and the directory of private keys
    # (one ``<kid>.pem`` per key, mode 0600, never in the database; mount a secret volume here).
    "LICENCE_SIGNER": os.environ.get("ONETHING_LICENCE_SIGNER", "ed25519"),
    "LICENCE_KEY_DIR": os.environ.get("ONETHING_LICENCE_KEY_DIR", str(VAR_DIR / "keys")),
    "NODE_KEY_DIR": os.environ.get("ONETHING_NODE_KEY_DIR", str(VAR_DIR / "node-keys")),
    # 跨省通办 relay (federation.relay): seconds to wait for a peer's answer to one envelope, and how
    # long a claim may stay unconfirmed before the envelope is posted again.
    "FEDERATION_TIMEOUT": float(os.environ.get("ONETHING_FEDERATION_TIMEOUT", "10")),
    "FEDERATION_CLAIM_TIMEOUT": float(os.environ.get("ONETHING_FEDERATION_CLAIM_TIMEOUT", "300")),
    # Bits per W3C Bitstring Status List (2^20: one list holds the statuses of ~500,000 licences
    # while staying half empty, so a random index is found at the first or second try).
    "LICENCE_STATUS_LIST_SIZE": int(os.environ.get("ONETHING_LICENCE_STATUS_LIST_SIZE", str(2**20))),
}


def _install_masking_record_factory() -> None:
    """Mask personal numbers when a log record is *created*, so every handler sees the masked text.

    The handler filter below protects the console; but records propagate to handlers the
    filter is not attached to (a file handler added by ops, a monitoring SDK, pytest's
    ``caplog``). Django itself logs request paths (``Not Found: /…/430602…``). Masking at
    record creation closes every such path at once.
    """
    import logging

    from onething.accounts.masking import mask_text

    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_personal_numbers", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return record

    factory.masks_personal_numbers = True
    logging.setLogRecordFactory(factory)


_install_masking_record_factory()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_numbers": {"()": "onething.accounts.masking.MaskPersonalNumbersFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_numbers"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ONETHING_LOG_LEVEL", "WARNING")},
    "loggers": {"onething": {"level": os.environ.get("ONETHING_LOG_LEVEL", "INFO")}},
}
