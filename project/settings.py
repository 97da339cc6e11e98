"""Django settings for the esper_rekall project, read from the environment.

Every setting that differs between a laptop and production comes from an
environment variable (the README has the table):

- ``DATABASE_URL``: any URL ``dj-database-url`` parses. Unset: an embedded
  SQLite file, ``db.sqlite3`` in the repository root, or the path in
  ``ESPER_REKALL_SQLITE_PATH``. On PostgreSQL, ``ESPER_REKALL_PG_RANDOM_PAGE_COST``
  (default 1.1, for SSDs) and ``ESPER_REKALL_PG_PARALLEL_WORKERS`` (default 0)
  are set on every connection (empty: the server's setting).
- ``CELERY_BROKER_URL`` / ``CELERY_RESULT_BACKEND`` (defaults to the broker);
  ``CELERY_VISIBILITY_TIMEOUT`` seconds (default 3600).
- ``SECRET_KEY``, ``DEBUG`` (default on), ``ALLOWED_HOSTS`` and
  ``CSRF_TRUSTED_ORIGINS`` (comma lists). With ``DEBUG`` off the development
  key is refused and the HTTPS hardening that ``check --deploy`` asks for is
  on (each switch can be turned off through its own variable, e.g. behind a
  TLS-terminating proxy set ``SECURE_PROXY_SSL_HEADER=1``).
- ``ESPER_REKALL_*``: app settings, see :mod:`esper_rekall.conf`.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable; refuse values that are not booleans."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}")


def _env_int(name: str, default: int) -> int:
    """Read an integer environment variable; refuse values that are not integers."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def _env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable into a list of non-empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------

DEBUG = _env_bool("DEBUG", True)

DEV_SECRET_KEY = "django-insecure-esper-rekall-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development default while DEBUG is off; "
        "set the SECRET_KEY environment variable to a long random value."
    )

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", [])
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "esper_rekall.apps.EsperRekallConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

SQLITE_PATH = Path(os.environ.get("ESPER_REKALL_SQLITE_PATH") or BASE_DIR / "db.sqlite3")
#: PostgreSQL settings set on every connection: ``{environment variable:
#: (setting, default, type)}``. An empty variable keeps the server's setting.
#: - random_page_cost: index scans cost about as much as sequential reads on
#:   SSDs; the server's default (4.0) assumes spinning disks and plans a small
#:   corpus's chunk (15 videos of 1,000) as a parallel scan of the whole face
#:   table: 235 ms against 73 ms through the frame_id index.
#: - max_parallel_workers_per_gather: a run already keeps every core busy with
#:   one chunk per worker; a chunk's faces query planned with two parallel
#:   workers took 33-37 ms a chunk against 30 ms without (1,000 videos), and
#:   its helpers take the cores of the other chunks' workers.
_PG_SESSION = {
    "ESPER_REKALL_PG_RANDOM_PAGE_COST": ("random_page_cost", "1.1", float),
    "ESPER_REKALL_PG_PARALLEL_WORKERS": ("max_parallel_workers_per_gather", "0", int),
}


def _pg_session_options() -> str:
    """The libpq ``options`` string (``-c name=value ...``) of ``_PG_SESSION``."""
    options = []
    for variable, (name, default, kind) in _PG_SESSION.items():
        raw = os.environ.get(variable, default).strip()
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{variable} must be a number, not {raw!r}") from None
        if value < 0:
            raise ImproperlyConfigured(f"{variable} must not be negative, not {raw!r}")
        options.append(f"-c {name}={value}")
    return " ".join(options)


DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=_env_int("CONN_MAX_AGE", 0),
            conn_health_checks=True,
        )
    }
    _SESSION = _pg_session_options()
    if _SESSION and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = _SESSION
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
        }
    }

# --- Auth, i18n, static -------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "/admin/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")

# --- Security (production hardening when DEBUG is off) ----------------------

_SECURE = not DEBUG
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", _SECURE)
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", _SECURE)
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", _SECURE)
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31_536_000 if _SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _SECURE)
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list is hard to undo: an operator opts in with
# SECURE_HSTS_PRELOAD=1, so check --deploy's reminder about it is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if _env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets this header itself (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Celery -------------------------------------------------------------------

# No broker configured means no Celery: the runtime falls back to in-process pools.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A message not acknowledged within visibility_timeout seconds (its worker was
# lost) is delivered again; it must exceed the longest chunk.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
if os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "").strip():
    # How often workers look for messages past their visibility timeout (default 60 s).
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] = _env_int("CELERY_UNACKED_RESTORE_INTERVAL", 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Submitting tasks never waits for a broker that is down: it fails within seconds.
CELERY_BROKER_CONNECTION_TIMEOUT = _env_int("CELERY_BROKER_CONNECT_TIMEOUT", 2)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = _env_int("CELERY_BROKER_CONNECT_TIMEOUT", 2)
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE

# --- esper_rekall app settings (defaults live in esper_rekall/conf.py) -------

for _name, _parse in (
    ("ESPER_REKALL_CHUNK_SIZE", _env_int),
    ("ESPER_REKALL_MAX_CHUNK_ATTEMPTS", _env_int),
    ("ESPER_REKALL_GENERATE_BATCH_SIZE", _env_int),
    ("ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT", _env_int),
    ("ESPER_REKALL_CHUNK_TIME_LIMIT", _env_int),
    ("ESPER_REKALL_CHUNK_LEASE", _env_int),
    ("ESPER_REKALL_CHUNK_RESEND_AFTER", _env_int),
    ("ESPER_REKALL_ALLOW_DEV_KEY", _env_bool),
):
    if os.environ.get(_name, "").strip():
        globals()[_name] = _parse(_name, 0)
if os.environ.get("ESPER_REKALL_QUERY_MODULES", "").strip():
    # Comma-separated module prefixes whose functions path query references may name.
    ESPER_REKALL_QUERY_MODULES = [m.strip() for m in os.environ["ESPER_REKALL_QUERY_MODULES"].split(",") if m.strip()]
if os.environ.get("ESPER_REKALL_MEDIA_ROOT", "").strip():
    # Directory of the video files (Video.path is relative to it); the viewer plays files inside it.
    ESPER_REKALL_MEDIA_ROOT = os.environ["ESPER_REKALL_MEDIA_ROOT"].strip()

# --- Logging ------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
