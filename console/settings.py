"""Settings for the EAC console, all read from the environment (see README.md)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from console.env import (
    env_bool,
    env_broker_url,
    env_ca_file,
    env_int,
    env_list,
    env_nameservers,
    env_networks,
    env_seconds,
    env_secret,
)

# Lets classes such as admin.ModelAdmin[Tenant] be subscripted at run time, as the type stubs do.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EAC_VAR_DIR") or BASE_DIR / "var")  # data, queue, keys
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _development_secret_key() -> str:
    """A key kept under var/ so that sign-ins survive restarts of a DEBUG server."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env_secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "axes",
    "eac",
    "connectors",
    "validation",
    "lab",
    "training",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files from the WSGI server itself (finders under DEBUG, else STATIC_ROOT after
    # collectstatic): https://whitenoise.readthedocs.io/en/stable/django.html
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which is the first to read a POST: an oversized one gets a page.
    "eac.limits.RequestTooLargeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "eac.htmx.HtmxRedirectMiddleware",
    "eac.tenancy.TenantMiddleware",
    "eac.headers.SignedInNoStoreMiddleware",
    # django-axes must come last so it sees the outcome of every sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
# Widgets render with the project's templates too (templates/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "console.wsgi.application"

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
                "eac.tenancy.console_context",
                "training.context_processors.training",
            ],
        },
    },
]

# Database: DATABASE_URL (PostgreSQL in production and CI), else an SQLite file under var/.
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_list("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")[0],
            conn_max_age=60,
            conn_health_checks=True,
        )
    }
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL Django can use: {exc}"
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Web and worker processes write to the same file: wait for the lock rather than fail, and
    # take it when a transaction starts, so two writers never deadlock upgrading a read lock.
    # In WAL mode readers never wait for a writer (a class of 30 on `make run` stalled for
    # seconds in the default rollback journal); synchronous=NORMAL is WAL's recommended setting:
    # https://www.sqlite.org/wal.html and https://www.sqlite.org/pragma.html#pragma_synchronous
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Content-Security-Policy (django-csp): everything from the console itself. The pages have no
# inline script or style, and tests/eac/test_headers.py keeps it so; images may be data: URLs
# (the stylesheet's icons). https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Sign-in
AUTH_USER_MODEL = "eac.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first: it refuses locked-out attempts
    "django.contrib.auth.backends.ModelBackend",
]
# Django's hashers, the first (PBKDF2) for every password a person sets; then the one for the
# random passwords a training class generates, which key stretching doesn't strengthen (its
# docstring and docs/training.md say why). A trainee's hash moves to the first at first sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "training.hashers.GeneratedPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "signin"
AXES_FAILURE_LIMIT = env_int("EAC_SIGNIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_int("EAC_SIGNIN_COOLOFF_MINUTES", 15, minimum=1, maximum=10080)
)
# Lock an account only from the address that hammered it, so a stranger cannot lock out an admin.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The sign-in form posts the email address as "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "eac/locked_out.html"
AXES_VERBOSE = False
# Behind the TLS proxy, the client's address is the one the proxy forwards (eac/addresses.py).
AXES_CLIENT_IP_CALLABLE = "eac.addresses.client_address"
EAC_BEHIND_TLS_PROXY = env_bool("EAC_BEHIND_TLS_PROXY", False)
EAC_TLS_PROXY_HOPS = env_int("EAC_TLS_PROXY_HOPS", 1, minimum=1, maximum=10)

# Security. The defaults are for a console served over HTTPS; DEBUG relaxes them for `make run`.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if EAC_BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0, maximum=63072000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"

CRISPY_ALLOWED_TEMPLATE_PACKS = ("fluent",)
CRISPY_TEMPLATE_PACK = "fluent"

# Celery. Without CELERY_BROKER_URL the broker is kombu's filesystem transport under var/queue/,
# so `make run` needs no Redis; production and CI point it at Redis.
CELERY_BROKER_URL = env_broker_url("CELERY_BROKER_URL", "filesystem://")
QUEUE_DIR = VAR_DIR / "queue"
if CELERY_BROKER_URL.startswith("filesystem:"):
    for folder in ("messages", "processed", "control"):
        (QUEUE_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(QUEUE_DIR / "messages"),
        "data_folder_out": str(QUEUE_DIR / "messages"),
        "processed_folder": str(QUEUE_DIR / "processed"),
        "control_folder": str(QUEUE_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
else:
    # redis-py waits forever on a black-holed server unless told otherwise.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_IGNORE_RESULT = True  # results live in our own tables, not in a result backend
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SERIALIZER = "json"
# Validations spend their time waiting on remote servers, so a worker runs them in threads (many
# at once, one process): Celery's time limits don't apply there, which is why the probe enforces
# its own per-stage and total deadlines.
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = env_int("EAC_WORKER_CONCURRENCY", 32, minimum=1, maximum=256)
CELERY_ACCEPT_CONTENT = ["json"]

# Validation probes (docs/validation.md), parsed now so a bad value stops start-up.
EAC_SMTP_PORT = env_int("EAC_SMTP_PORT", 25, minimum=1, maximum=65535)
# The lab's front door, playing Office 365 for every organization on 127.0.0.1 (docs/front-door.md).
EAC_FRONT_DOOR_PORT = env_int("EAC_FRONT_DOOR_PORT", 2526, minimum=1, maximum=65535)
EAC_DNS_NAMESERVERS = env_nameservers("EAC_DNS_NAMESERVERS")
EAC_TRUSTED_CA_FILE = env_ca_file("EAC_TRUSTED_CA_FILE")
EAC_PROBE_ALLOWED_NETWORKS = env_networks("EAC_PROBE_ALLOWED_NETWORKS")
# A training lab: probes reach only EAC_PROBE_ALLOWED_NETWORKS, never the internet (make run's lab).
EAC_PROBE_LAB_ONLY = env_bool("EAC_PROBE_LAB_ONLY", False)
EAC_PROBE_TIMEOUT_SECONDS = env_seconds("EAC_PROBE_TIMEOUT_SECONDS", 90, maximum=600)
# A run no worker has taken after this long ends with a message instead of waiting forever.
EAC_VALIDATION_QUEUE_SECONDS = env_seconds("EAC_VALIDATION_QUEUE_SECONDS", 120, maximum=3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_list("LOG_LEVEL", "INFO")[0].upper()},
    # django-axes logs every sign-in at INFO; failures and lockouts are still logged as warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}
