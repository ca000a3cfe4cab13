"""Settings, read from the environment (12-factor). Every variable is listed in .env.example.

The defaults are the embedded first run: SQLite in var/, kombu's server-less filesystem broker,
console SMS and email. Production sets DATABASE_URL, CELERY_BROKER_URL and the Twilio keys.
"""

import contextlib
import datetime as dt
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --- Core ---------------------------------------------------------------------------------
# Where the process runs: `embedded` (a first run on a laptop, and the tests) or `production`,
# which refuses to start on a key anyone can read and turns on the secure cookies. DEBUG says
# nothing about it (it also changes the API's error pages).
ENVIRONMENT = env.str("ENVIRONMENT", default="embedded").strip().lower()
if ENVIRONMENT not in ("embedded", "production"):
    raise ImproperlyConfigured(f"ENVIRONMENT must be embedded or production, not {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.bool("DEBUG", default=False)
# The fallback key only serves a first run on a laptop; production sets SECRET_KEY. Join links
# are derived from it, so with a known key a copy of the database opens every visit.
PUBLIC_SECRET_KEYS = ("insecure-dev-key-set-SECRET_KEY-in-production", "change-me-to-a-long-random-string")
SECRET_KEY = env.str("SECRET_KEY", default=PUBLIC_SECRET_KEYS[0])
if PRODUCTION and SECRET_KEY in PUBLIC_SECRET_KEYS:
    raise ImproperlyConfigured("SECRET_KEY is the public default: set SECRET_KEY (ENVIRONMENT=production).")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = PRODUCTION
# The language switch's cookie (web.language): no script of the pages reads it.
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if PRODUCTION else 0
# A clinic's domain serves nothing over plain HTTP: its subdomains included, and fit for the
# browsers' preload list. A domain with HTTP-only subdomains turns these off.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Behind a TLS proxy the browser's Origin is the public one, not what the app sees: sign-ins
# (CSRF-checked forms) work out of the box when it is PUBLIC_BASE_URL's.
_public = urlsplit(PUBLIC_BASE_URL)
_public_origin = f"{_public.scheme}://{_public.netloc}"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[]) or [_public_origin]
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Django's own warning about it assumes no TLS proxy; core.W002 (core.checks) knows TRUSTED_PROXIES.
SILENCED_SYSTEM_CHECKS = ["security.W008"]
# How many proxies in front of the app write X-Forwarded-For and X-Forwarded-Proto. Forwarded
# headers are anyone's to send, so they count only behind a declared proxy: the client address
# (core.net) for throttles, the sign-in lockout and the audit trail, and whether the request
# came over HTTPS.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES must be 0 or more, not {TRUSTED_PROXIES}")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # API tokens, stored hashed (before `clinic`, whose admin unregisters knox's: no token is
    # shown or made in the Django admin).
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "phonenumber_field",
    "django_celery_beat",
    "axes",
    # The ground floor, the three apps, and the pages (see the README's Architecture).
    "core",
    "clinic",
    "scheduling",
    "notifications",
    "web",
]

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "core.net.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A visitor's language from the language cookie or Accept-Language; a signed-in patient's
    # from their profile (web.language, once the user is known).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "web.language.PatientLanguageMiddleware",
    "core.api.caching.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a sign-in that tripped the lockout into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "clinic.User"
# The pages' session sign-in (web/): Django's auth views under /accounts/.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "web.context.clinic",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django tells the validators of every saved password change, from whichever
    # path (the Django admin, `changepassword`, a service): this one revokes the API tokens.
    {"NAME": "clinic.authentication.PasswordChangeRevokesTokens"},
]

# The languages of the pages and the messages (clinic.models.Language holds the same codes), each
# named in its own language for the switch on the pages. Each app carries its own catalogue in
# <app>/locale/ (`make messages`), the .mo files committed beside the .po files.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Serve the admin's and Swagger's assets straight from the apps: no collectstatic on a first run.
WHITENOISE_USE_FINDERS = True

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two bookings serialize instead of one
    # failing at COMMIT with "database is locked"; WAL lets readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side binding, and psycopg preparing the statements a connection repeats (after
    # `prepare_threshold` runs): PostgreSQL stops planning the hot paths' queries every time.
    # Set DATABASE_PREPARE_THRESHOLD=0 (off) behind a transaction-mode pooler such as PgBouncer.
    _prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": env.bool("DATABASE_SERVER_SIDE_BINDING", default=True),
        "prepare_threshold": _prepare_threshold or None,
    }

# --- API ----------------------------------------------------------------------------------
# DRF scope=rate pairs. `off` (no pairs) turns off the general limits (`anon`, `user`) for load
# tests; the limits on the endpoints that take a password (`auth` per address, `account` per
# email, `register` per address) stay at these defaults unless a pair changes them.
PASSWORD_THROTTLE_RATES = {"auth": "20/min", "account": "10/hour", "register": "20/hour"}
THROTTLE_RATES = env.str("THROTTLE_RATES", default="anon=120/min,user=1200/min,auth=20/min")
_rates = {
    scope.strip(): rate.strip()
    for scope, _, rate in (pair.partition("=") for pair in THROTTLE_RATES.split(","))
    if scope.strip() and rate.strip()
}
for _scope, _rate in _rates.items():
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"THROTTLE_RATES: {_scope}={_rate} is not a rate such as 20/min")
# A throttle runs only for a scope that has a rate: DRF answers 500 for a scope without one.
_throttles = {
    "anon": "core.api.throttling.AnonRateThrottle",
    "user": "core.api.throttling.UserRateThrottle",
}

# --- Cache --------------------------------------------------------------------------------
# The throttle counters, shared by every process that serves the API: local memory for the
# embedded run (one process), Redis in compose (a database apart from the broker's).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    # A stalled Redis must fail fast, never hang a request.
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_timeout=5, socket_connect_timeout=3)

# --- Sign-in lockout (django-axes, see core/lockout.py) --------------------------------------
AUTHENTICATION_BACKENDS = ["core.lockout.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.net.client_address"
AXES_USERNAME_CALLABLE = "core.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Failures only: a row per successful sign-in would be a second, unaudited login log.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner; failures are logged with the email and address masked.
AXES_VERBOSE = False

REST_FRAMEWORK = {
    # Token first: an anonymous request then answers 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "core.api.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        *(path for scope, path in _throttles.items() if scope in _rates),
        "core.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {**PASSWORD_THROTTLE_RATES, **_rates},
    # core.net.client_address reads X-Forwarded-For; DRF's own classes agree with it.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "core.api.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# API tokens (knox): stored as SHA-512 digests, shown once, ending TOKEN_TTL_HOURS after sign-in
# whatever their use (a fixed expiry, never extended), or sooner on logout or a password change.
TOKEN_TTL_HOURS = env.int("TOKEN_TTL_HOURS", default=720)
if TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured(f"TOKEN_TTL_HOURS must be at least 1, not {TOKEN_TTL_HOURS}")
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Virtual neurology clinic: scheduling API",
    "DESCRIPTION": "Find a neurology specialist licensed in your state and book a video visit.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the pinned drf-spectacular-sidecar's static files, never a CDN's `@latest`.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "scheduling.models.Booking.Status",
        "SlotStatusEnum": "scheduling.models.Slot.Status",
        "RoleEnum": "clinic.models.User.Role",
    },
}

PHONENUMBER_DEFAULT_REGION = None
PHONENUMBER_DEFAULT_FORMAT = "E164"

# --- Browsers -----------------------------------------------------------------------------
# The Content Security Policy of every answer (django-csp, enforced, not report-only): everything
# from the site itself, no inline script anywhere. Inline styles only on the Swagger UI and the
# browsable API, which need them (core/csp.py); the admin and the dashboard do without.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Booking policies ---------------------------------------------------------------------
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=60)
MIN_NOTICE_MINUTES = env.int("MIN_NOTICE_MINUTES", default=120)
CANCELLATION_WINDOW_HOURS = env.int("CANCELLATION_WINDOW_HOURS", default=24)
MAX_ACTIVE_BOOKINGS = env.int("MAX_ACTIVE_BOOKINGS", default=3)
JOIN_WINDOW_MINUTES = env.int("JOIN_WINDOW_MINUTES", default=15)
# How long a freed slot is held for the waitlisted patient it is offered to.
WAITLIST_HOLD_MINUTES = env.int("WAITLIST_HOLD_MINUTES", default=15)

# --- Celery -------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu's defaults are two different relative folders, and then nothing is delivered:
    # one shared folder in and out, and a control folder so that worker pings answer.
    for _sub in ("queue", "control", "processed"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    # Short socket timeouts: a stalled Redis must fail fast, never hang a process.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 5,
        "socket_connect_timeout": 3,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless told to keep
# it: a new PostgreSQL connection per message cost more than sending it.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# The console SMS backend prints on stdout, which the worker logs: as INFO, not WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
# The root logger keeps the handler of LOGGING below, so worker and beat lines are formatted like
# the web's (JSON in production), not Celery's own way.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat's DatabaseScheduler writes this schedule into its tables when it starts: `migrate` then
# `celery beat` is all an operator runs. The dispatch task expires at its own interval, so a
# stopped worker does not come back to a pile of dispatches.
DISPATCH_INTERVAL_SECONDS = env.int("DISPATCH_INTERVAL_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "dispatch-notifications": {
        "task": "notifications.tasks.notification_dispatch_task",
        "schedule": DISPATCH_INTERVAL_SECONDS,
        "options": {"expires": DISPATCH_INTERVAL_SECONDS},
    },
    "extend-slot-horizon": {
        "task": "scheduling.tasks.slots_extend_horizon_task",
        "schedule": 24 * 60 * 60,
    },
    # Waitlist offers past their hold go to the next patient; a claim never waits for this.
    "lapse-waitlist-offers": {
        "task": "scheduling.tasks.offers_lapse_due_task",
        "schedule": 60,
        "options": {"expires": 60},
    },
    "purge-expired-tokens": {
        "task": "clinic.tasks.tokens_purge_expired_task",
        "schedule": 60 * 60,
        "options": {"expires": 60 * 60},
    },
    # Twilio status-callback receipts past their use (notifications.services.callbacks).
    "purge-webhook-receipts": {
        "task": "notifications.tasks.webhook_receipts_purge_task",
        "schedule": 24 * 60 * 60,
    },
}

# --- Messages -----------------------------------------------------------------------------
# Short names as for SMS_BACKEND and VIDEO_PROVIDER (core.backends), or a dotted path.
_EMAIL_BACKENDS = {
    name: f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "smtp", "locmem", "filebased")
}
# SMTP from one URL: `smtp+tls://user:password@host:587` (STARTTLS) or `smtp+ssl://...:465`
# (a password's special characters percent-encoded). It also makes SMTP the backend unless
# EMAIL_BACKEND says otherwise. Django does not read the URL's `?timeout=`: EMAIL_TIMEOUT does.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _smtp = environ.Env.email_url_config(EMAIL_URL)
    EMAIL_HOST, EMAIL_PORT = _smtp["EMAIL_HOST"], _smtp["EMAIL_PORT"]
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp["EMAIL_HOST_USER"], _smtp["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS, EMAIL_USE_SSL = _smtp.get("EMAIL_USE_TLS", False), _smtp.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or ("smtp" if EMAIL_URL else "console")
# An email provider's HTTP API through Anymail: `EMAIL_BACKEND=anymail:postmark` (or mailgun,
# sendgrid, amazon_ses, ...), its keys as ANYMAIL_<ESP>_<SETTING> environment variables, e.g.
# ANYMAIL_POSTMARK_SERVER_TOKEN, all passed to Anymail's ANYMAIL setting.
if EMAIL_BACKEND.startswith("anymail:"):
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_BACKEND.removeprefix('anymail:')}.EmailBackend"
EMAIL_BACKEND = _EMAIL_BACKENDS.get(EMAIL_BACKEND, EMAIL_BACKEND)
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Neuro Clinic <visits@example.com>")
CLINIC_NAME = env.str("CLINIC_NAME", default="Neuro Clinic")
# The zone the pages show times in to a visitor who is not signed in (a signed-in patient or
# specialist sees their profile's zone).
CLINIC_TIMEZONE = env.str("CLINIC_TIMEZONE", default="America/New_York")
# The number the pages give patients who must call (e.g. to change a visit inside the
# cancellation window).
CLINIC_PHONE = env.str("CLINIC_PHONE", default="+1 212 555 0100")
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_RATE_LIMIT = env.str("SMS_RATE_LIMIT", default="1/s")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(duration: str) -> int:
    """`24h`, `90m`, `30s`, `2d` -> seconds."""
    duration = duration.strip().lower()
    return int(duration[:-1]) * _UNITS[duration[-1]] if duration[-1] in _UNITS else int(duration)


REMINDER_OFFSETS = sorted(
    {_seconds(o) for o in env.list("REMINDER_OFFSETS", default=["24h", "1h"])}, reverse=True
)


def _quiet_hours(value: str) -> tuple[dt.time, dt.time] | None:
    """`21:00-08:00` -> (start, end) as local wall times; `off` -> None."""
    if value.strip().lower() == "off":
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    bounds = None
    if match:
        with contextlib.suppress(ValueError):  # 25:00 or 08:75
            bounds = dt.time(int(match[1]), int(match[2])), dt.time(int(match[3]), int(match[4]))
    # Equal ends would be an empty window or a whole day: either way not what anyone meant.
    if bounds is None or bounds[0] == bounds[1]:
        raise ImproperlyConfigured(
            f"QUIET_HOURS={value!r}: expected two different local times such as 21:00-08:00, or off"
        )
    return bounds


# No message that can wait (a reminder) goes out between these local times in the recipient's zone
# (notifications/quiet.py); the window may cross midnight. `off` turns the rule off.
QUIET_HOURS = _quiet_hours(env.str("QUIET_HOURS", default="") or "21:00-08:00")
DISPATCH_BATCH_SIZE = env.int("DISPATCH_BATCH_SIZE", default=500)
NOTIFICATION_STUCK_SECONDS = env.int("NOTIFICATION_STUCK_SECONDS", default=120)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_BACKOFF_SECONDS = env.int("NOTIFICATION_BACKOFF_SECONDS", default=30)

TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_KEY_SID = env.str("TWILIO_API_KEY_SID", default="")
TWILIO_API_KEY_SECRET = env.str("TWILIO_API_KEY_SECRET", default="")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10)

# The console backends print every message, phone numbers and join links included, into the
# worker's log: a laptop's tool, refused in production.
if PRODUCTION and (SMS_BACKEND == "console" or EMAIL_BACKEND.endswith(".console.EmailBackend")):
    raise ImproperlyConfigured(
        "The console SMS_BACKEND and EMAIL_BACKEND print messages into the logs: "
        "set SMS_BACKEND=twilio and an SMTP EMAIL_BACKEND (ENVIRONMENT=production)."
    )

# --- Video --------------------------------------------------------------------------------
VIDEO_PROVIDER = env.str("VIDEO_PROVIDER", default="url")
VIDEO_URL_TEMPLATE = env.str("VIDEO_URL_TEMPLATE", default="https://meet.jit.si/{room}")

# --- Logging ------------------------------------------------------------------------------
# One JSON object per line (time, level, logger, message, request_id; task_id and task_name in a
# worker; a line's extras beside them) from web, worker and beat alike, for a log pipeline. The
# console SMS and email backends print each message on the worker's console for a person to read
# (the embedded first run): there, plain text by default, which keeps them readable.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
_prints_messages = SMS_BACKEND == "console" or EMAIL_BACKEND.endswith(".console.EmailBackend")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if _prints_messages else "json").lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "core.request_id.ContextFilter"},
        "view_not_path": {"()": "core.request_id.ViewNotPath"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message", "request_id"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
            # Django's request records carry the HttpRequest, whose repr is the full URL with
            # its query string (an admin's search for a patient's name): never written out.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        },
        "text": {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "defaults": {"request_id": "-"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers go (its DEBUG-only console would print each line twice): its
        # records reach the root's handler like everyone else's.
        "django": {"level": LOG_LEVEL},
        # The access line of core/request_id.py reports every response; Django's 4xx warnings
        # would repeat it with the raw path (which can hold a visit's join token).
        "django.request": {"level": "ERROR", "filters": ["view_not_path"]},
        "django.server": {"level": "ERROR", "propagate": True},
        # SQL with its parameters (names, phone numbers, reasons for visit): never, even at DEBUG.
        "django.db.backends": {"level": "INFO"},
    },
}
