"""Kartoteka settings: every knob comes from a ``KARTOTEKA_*`` environment variable.

A malformed value stops start-up with a message naming the variable, so a typo in a deployment
never turns into a silently different configuration.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
PREFIX = "KARTOTEKA_"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    return os.environ.get(PREFIX + name)


def _bad(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{PREFIX}{name}={value!r} is not valid: expected {expected}.")


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _bad(name, value, "one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 2**31) -> int:
    value = _raw(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise _bad(name, value, "a whole number") from None
    if not minimum <= number <= maximum:
        raise _bad(name, value, f"a whole number from {minimum} to {maximum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from ``KARTOTEKA_<NAME>`` or from the file named by ``KARTOTEKA_<NAME>_FILE``."""
    file_name = _raw(name + "_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise _bad(name + "_FILE", file_name, f"a readable file ({error.strerror})") from None
    return _raw(name)


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise _bad(name, value, "one of " + ", ".join(choices))
    return value


def env_addresses(name: str, default: list[str]) -> list[str]:
    """IP addresses and networks (``10.0.0.0/8``), or ``*`` alone for any address.

    uvicorn quietly keeps an entry it cannot read as a name that never matches, so a typo would
    leave the proxy untrusted without a word; here it stops start-up instead.
    """
    values = env_list(name, default)
    if values == ["*"]:
        return values
    for value in values:
        try:
            ipaddress.ip_network(value)  # strict, as uvicorn reads it: 10.0.0.1/8 is refused
        except ValueError:
            raise _bad(
                name, _raw(name) or "", "IP addresses or networks such as 10.0.0.0/8, or * alone"
            ) from None
    return values


def env_origins(name: str, default: list[str]) -> list[str]:
    """Origins with their scheme (``https://crm.example.ru``), as Django's CSRF check needs."""
    values = env_list(name, default)
    for value in values:
        if not value.startswith(("http://", "https://")):
            raise _bad(
                name, _raw(name) or "", "origins with a scheme, such as https://crm.example.ru"
            )
    return values


# --- Paths ---------------------------------------------------------------------------------------
DATA_DIR = Path(env_str("DATA_DIR", "./var")).resolve()
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as error:
    raise _bad("DATA_DIR", str(DATA_DIR), f"a writable folder ({error.strerror})") from None
MEDIA_ROOT = DATA_DIR / "uploads"
BACKUP_DIR = DATA_DIR / "backups"
for _folder in (MEDIA_ROOT, BACKUP_DIR):
    _folder.mkdir(exist_ok=True)


def _secret_key() -> str:
    configured = env_secret("SECRET_KEY")
    if configured:
        return configured
    # Generated once and kept in the data directory, so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS", [])
# Read by `kartoteka serve`; its --host, --port and --workers flags win.
SERVER_HOST = env_str("HOST", "127.0.0.1")
SERVER_PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
SERVER_WORKERS = env_int("WEB_WORKERS", 1, minimum=1, maximum=64)
#: proxies whose X-Forwarded-* headers the server believes (the client address, the scheme)
FORWARDED_ALLOW_IPS = env_addresses("FORWARDED_ALLOW_IPS", ["127.0.0.1"])

# --- Database ------------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", "") or f"sqlite:///{DATA_DIR / 'kartoteka.sqlite3'}"
try:
    _database: dict[str, Any] = dict(dj_database_url.parse(_database_url, conn_max_age=60))
except ValueError as error:
    raise _bad("DATABASE_URL", _database_url, f"a database URL ({error})") from None
if not _database.get("ENGINE"):
    raise _bad("DATABASE_URL", _database_url, "a sqlite:// or postgres:// URL")
#: connections one server process keeps open (PostgreSQL pool; SQLite reuses closed ones)
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 10, minimum=1, maximum=1000)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["ENGINE"] = "kartoteka.core.db.sqlite"
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE avoids lock upgrade deadlocks.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            " PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    if not _database.get("NAME"):
        raise _bad(
            "DATABASE_URL", _database_url, "a URL that names the database: postgres://…/name"
        )
    # Django's, reading moments faster (core/db/postgresql).
    _database["ENGINE"] = "kartoteka.core.db.postgresql"
    # The ASGI server runs each request's sync code in a fresh thread, and Django's connections
    # are per thread, so a "persistent" connection would be opened anew on every request
    # (several ms on PostgreSQL). A process-wide pool hands each request a ready connection.
    _database["CONN_MAX_AGE"] = 0
    _database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 10,
    }
    # No JIT: PostgreSQL compiles a statement planned above a cost (a list search over many
    # documents) with LLVM first, which took up to 100 ms at a million contacts for statements
    # that run in tens of ms; a CRM's statements are short and never win it back.
    _database["OPTIONS"]["options"] = (
        f"-c jit=off {_database['OPTIONS'].get('options', '')}".strip()
    )
else:
    raise _bad("DATABASE_URL", _database_url, "a sqlite:// or postgres:// URL")
if DATABASE_IS_POSTGRES := _database["ENGINE"] == "kartoteka.core.db.postgresql":
    # Parallel test runs on one server need distinct database names; SQLite tests stay in memory.
    _database["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "") or None}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications --------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "django_htmx",
    "kartoteka.core",
    "kartoteka.accounts",
    "kartoteka.records",
    "kartoteka.clients",
    "kartoteka.activities",
    "kartoteka.home",
    "kartoteka.api",
]

MIDDLEWARE = [
    # Outermost: lets the rows a request read go once its response is made (core/prefetch.py).
    "kartoteka.core.prefetch.ReleasePrefetchedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "kartoteka.core.request_guards.RefuseNulMiddleware",
    "kartoteka.core.request_guards.PageMethodsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kartoteka.accounts.middleware.SessionIdleTimeoutMiddleware",
    "kartoteka.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kartoteka.urls"
ASGI_APPLICATION = "kartoteka.asgi.application"
WSGI_APPLICATION = None

# Every form's pickers: no "---------", a lone option chosen already (core/forms.py).
FORM_RENDERER = "kartoteka.core.forms.Renderer"

TEMPLATES = [
    {
        # Django's engine, letting rendered contexts go (core/template_engine.py); named as
        # Django's own, which DRF and drf-spectacular look up by name.
        "BACKEND": "kartoteka.core.template_engine.Templates",
        "NAME": "django",
        "DIRS": [PACKAGE_DIR / "templates"],
        "OPTIONS": {
            # Django's cached loader, folding each template's fixed text once per language
            # (core/template_constants.py).
            "loaders": [
                (
                    "kartoteka.core.template_constants.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kartoteka.core.context_processors.navigation",
            ],
        },
    },
]

# --- Accounts and sessions -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's password check; a session's user is read with their branch and grants at once.
AUTHENTICATION_BACKENDS = ["kartoteka.accounts.backends.SignInBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1, maximum=100)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
# Django's database sessions, read with a kept plan (accounts/sessions.py).
SESSION_ENGINE = "kartoteka.accounts.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12, minimum=1, maximum=24 * 30) * 3600
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 120, minimum=5, maximum=24 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 365, minimum=1, maximum=3650)
#: the password `kartoteka createadmin` gives when no --password is passed (scripted installs)
ADMIN_PASSWORD = env_secret("ADMIN_PASSWORD") or ""

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        # Tag colours are per-record style attributes; attributes cannot run script.
        "style-src-attr": ["'unsafe-inline'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Language and time ---------------------------------------------------------------------------
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LANGUAGE_CODE = env_choice("LANGUAGE", "ru", [code for code, _name in LANGUAGES])
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise _bad("TIME_ZONE", TIME_ZONE, "an IANA time zone such as Europe/Moscow") from None
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "kartoteka_language"

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# `kartoteka serve` collects static files at start; WhiteNoise serves that copy, which cannot
# change under a running server (a file changed in place would be cut at its old length).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Background jobs -----------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise _bad("REDIS_URL", REDIS_URL, "a redis:// URL")
HUEY: dict[str, Any] = {
    "name": "kartoteka",
    "immediate": env_bool("JOBS_IMMEDIATE", False),
    "consumer": {"workers": env_int("WORKER_THREADS", 2, minimum=1, maximum=64)},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "jobs.sqlite3")})
TRASH_RETENTION_DAYS = env_int("TRASH_RETENTION_DAYS", 30, minimum=1, maximum=3650)

# --- Mail ----------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise _bad("EMAIL_USE_SSL", "true", "false when KARTOTEKA_EMAIL_USE_TLS is true")
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "kartoteka@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
#: the address people reach the CRM at: links in mails (reminders) start with it
SITE_URL = env_str("SITE_URL", "") or f"http://{SERVER_HOST}:{SERVER_PORT}"
if not SITE_URL.startswith(("http://", "https://")):
    raise _bad("SITE_URL", SITE_URL, "an address with its scheme, such as https://crm.example.ru")

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kartoteka.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kartoteka.core.rest.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kartoteka.core.rest.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "kartoteka.core.rest.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kartoteka API",
    "DESCRIPTION": "The public REST API of Kartoteka CRM.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kartoteka.api.schema.postprocess",
    ],
}

# --- Logging -------------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "kartoteka.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Every periodic run (the reminder sweep, each minute) would be two lines otherwise.
        "huey": {"level": "WARNING"},
        "huey.consumer": {"level": LOG_LEVEL},
    },
}

SESSION_IDLE = timedelta(minutes=SESSION_IDLE_MINUTES)
