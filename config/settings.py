"""Django settings for Warmth, read from the environment.

Every value a deployment may change is an environment variable, listed in
README.md. A malformed value stops start-up with a message naming it. Secrets
have no production default: with DEBUG off, SECRET_KEY must be set.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    embedded_database_url,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WARMTH_VAR_DIR", str(BASE_DIR / "var")))

# ---------------------------------------------------------------- core
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", required=not DEBUG)
if not SECRET_KEY:
    # Development only: a fixed key is harmless where DEBUG is on and data is demo.
    SECRET_KEY = "dev-only-insecure-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "axes",
    "pgtrigger",
    "pghistory",
    "csp",
    # /health/ and /health/deep/ (documents/health.py).
    "health_check",
    # Second factor for superusers and unit administrators: authenticator apps (TOTP) and
    # one-time recovery codes (people/middleware.py asks for it).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Ours, from the bottom layer up (pyproject.toml's import contracts keep imports pointing
    # down): helpers, the union tree and its people, generated documents and jobs, then the
    # domain, then what sits on top of it.
    "common",
    "people",
    "documents",
    "hardship",
    "visits",
    "funds",
    "reports",
    "audit",
    "mailings",
]
# Demo and benchmark data generators (seed_demo, seed_scale): development and tests only.
if env_bool("DEMO_DATA", DEBUG):
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    # First: its time covers everything below it (off unless SERVER_TIMING is set).
    "common.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: the policies govern the documents we render, not the static files.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "people.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Each write of a request is kept in the history with the user who made it.
    "pghistory.middleware.HistoryMiddleware",
    # Outside the sign-in and access checks, so that their answers are marked too.
    "common.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "people.middleware.SecondFactorMiddleware",
    "people.access.AccessRuleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "documents.middleware.DocumentAllowanceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised in login into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
# PostgreSQL everywhere: its triggers, CHECKs and indexes guard the ledger, the history and
# the files, and there is no second implementation of them. In development (DEBUG) without
# DATABASE_URL, the embedded PostgreSQL that `make run` starts under var/postgres/.
DATABASES = {
    "default": env_database("DATABASE_URL", embedded_database_url(VAR_DIR) if DEBUG else None)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- cache and broker
REDIS_URL = env_url("REDIS_URL", None, schemes={"redis", "rediss"})

# The cache may live on its own Redis (CACHE_REDIS_URL) with an eviction policy;
# the broker's Redis must never evict (maxmemory-policy noeviction).
CACHE_REDIS_URL = env_url("CACHE_REDIS_URL", REDIS_URL, schemes={"redis", "rediss"})
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": "warmth",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ---------------------------------------------------------------- celery
# Redis when REDIS_URL is set; otherwise kombu's filesystem transport under
# var/, so `make run` has a real worker without a broker server.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL or f"file://{VAR_DIR / 'celery' / 'results'}"
# A task may run at most CELERY_TASK_TIME_LIMIT seconds, and the broker must not
# hand an unacknowledged message to a second worker before that: the visibility
# timeout stays above the hard limit.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
_visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * CELERY_TASK_TIME_LIMIT, minimum=1)
if _visibility_timeout <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be greater than CELERY_TASK_TIME_LIMIT, "
        "or a running task would be handed to a second worker."
    )
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_timeout}
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = str(VAR_DIR / "celery" / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_timeout}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# JSON only: a pickled message from a compromised broker would run code.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Our tasks are idempotent, so a task whose worker died is redelivered rather
# than lost: acknowledge after running, reject when the worker is lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Long jobs: a worker takes one message at a time so others are not stuck behind it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Recycle a worker child that grew past this (KiB): PDF rendering fragments memory.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_MAX_MEMORY_PER_CHILD_KB", 768 * 1024)
# Recycling happens between tasks; this caps a worker process's address space
# while one runs (MB, 0 for none), so a render fed hostile text fails with
# MemoryError instead of taking the machine. config/celery.py applies it.
PDF_WORKER_MEMORY_LIMIT_MB = env_int("PDF_WORKER_MEMORY_LIMIT_MB", 3072, minimum=0)
# One PDF render stops after this many seconds, inside the task's own limits.
PDF_RENDER_TIME_LIMIT = env_int("PDF_RENDER_TIME_LIMIT", 300, minimum=1)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How often the dashboard's figures are brought up to date (reports/tallies.py).
TALLY_REFRESH_MINUTES = env_int("TALLY_REFRESH_MINUTES", 10, minimum=1)
# Every periodic task, in one place; each names a task by its explicit name=.
CELERY_BEAT_SCHEDULE = {
    # Personal data erased once its retention period has ended (audit/retention.py).
    "retention": {
        "task": "audit.retention_run",
        "schedule": crontab(day_of_month=1, hour=4, minute=7),
    },
    # Beat's heartbeat, which /health/deep/ reads (documents/health.py).
    "health-beat-tick": {
        "task": "documents.beat_tick",
        "schedule": 60.0,
    },
    "clear-expired-sessions": {
        "task": "people.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "resend-pending-documents": {
        "task": "documents.resend_pending",
        "schedule": 60.0,
    },
    "clean-expired-documents": {
        "task": "documents.clean_expired",
        "schedule": crontab(hour=3, minute=37),
    },
    # Spreadsheets of imports left unfinished hold ID numbers in full: deleted after a while.
    "expire-import-batches": {
        "task": "hardship.expire_import_batches",
        "schedule": crontab(hour=3, minute=47),
    },
    # Calls to households six and twelve months after their exit (visits/services.py); a
    # unique constraint makes a second run in a day add nothing.
    "create-follow-ups-after-exit": {
        "task": "visits.create_follow_ups_after_exit",
        "schedule": crontab(hour=5, minute=17),
    },
    # The dashboard's precomputed figures (reports/tallies.py says how they are kept).
    "refresh-figures": {
        "task": "reports.refresh_recent_figures",
        "schedule": TALLY_REFRESH_MINUTES * 60.0,
    },
    "refresh-figures-nightly": {
        "task": "reports.refresh_all_figures",
        "schedule": crontab(hour=2, minute=7),
    },
    # Report emails: which are due is decided from mailings.EmailSchedule (edited in admin,
    # defaults in mailings/schedules.py); the outbox's unique key makes a duplicate tick harmless.
    "send-due-emails": {
        "task": "mailings.dispatch_due_emails",
        "schedule": env_int("EMAIL_DISPATCH_MINUTES", 5, minimum=1) * 60.0,
    },
}

# A unit's figures are precomputed when its branch holds at least this many files
# (reports/tallies.py); smaller branches are counted directly on each page.
TALLY_MIN_FILES = env_int("TALLY_MIN_FILES", 2000, minimum=0)

# ---------------------------------------------------------------- auth and sessions
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "people:login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "people:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Passwords are hashed with Argon2id, Django's recommended hasher, at a cost chosen for a
# morning's burst of sign-ins: 64 MiB and two passes take about 0.09 s of one core, a third of
# PBKDF2's default (about 0.27 s), and the memory they need makes guessing on graphics cards
# costly where PBKDF2's iterations do not. bench/load.py measures the burst (README, "Load").
# Hashes made with PBKDF2 stay valid and are rehashed with Argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "people.hashers.UnionArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The one-time link an administrator sends for a person to set their password works this long
# (and stops working once used, or when the person signs in).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_LINK_HOURS", 72, minimum=1) * 3600
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "Warmth"
# Admin never shows a device's secret, its QR code or its recovery codes once it exists: whoever
# could read them could sign in as its owner. A lost device is removed, and its owner sets up a
# new one at the next sign-in.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sessions end after this much inactivity: every request pushes the expiry on.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes): lock the pair (username, address), never the
# username alone, so an attacker cannot lock a caseworker out from elsewhere;
# the lock lifts after a cool-off instead of waiting for an administrator.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# ---------------------------------------------------------------- security
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer probes /health/ over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Server-Timing on every answer: the server's time and the database's (queries counted).
# For development and measurement; off in production, where a query count could tell
# "not found" from "not yours" (common/middleware.py).
SERVER_TIMING = env_bool("SERVER_TIMING", DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): every script, stylesheet, image, font and request
# comes from this site, nothing inline — no 'unsafe-inline', no nonces, since no template
# holds an inline script, <style> or style="" (tests/config/test_headers.py keeps it so), and
# Chart.js is served from static/vendor/. An injected <script> or style="" is refused by the
# browser even if escaping ever failed. Pages cannot be framed, forms post only here, and
# plugins (<object>, <embed>) never run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): the powerful features no page here uses are
# off for the page and anything it could embed. Photos taken on a phone for a visit arrive
# through <input type="file">, whose camera choice is the phone's own file picker, not
# getUserMedia: camera=() does not stop it.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# ---------------------------------------------------------------- language and time
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "warmth_language"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# ---------------------------------------------------------------- files
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Uploaded scans and generated documents live outside the web root and are
# served only through permission-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Units written per statement when building visit lists: big enough to stay
# close to one INSERT … SELECT, small enough for the progress bar to move.
VISIT_LIST_UNITS_PER_BATCH = env_int("VISIT_LIST_UNITS_PER_BATCH", 400, minimum=1)
# An import's spreadsheet, left unconfirmed this many days, is deleted and the import expired.
IMPORT_KEEP_DAYS = env_int("IMPORT_KEEP_DAYS", 7, minimum=1)
# Generated documents (PDFs, spreadsheets) are kept this many days, then deleted.
DOCUMENT_KEEP_DAYS = env_int("DOCUMENT_KEEP_DAYS", 14, minimum=1)
# A running job's lease (seconds): its worker renews it a few times within this
# while it works; a job whose lease has passed is taken for dead, and the periodic
# re-send hands it to another worker, at most DOCUMENT_JOB_MAX_ATTEMPTS runs in all.
DOCUMENT_JOB_LEASE_SECONDS = env_int("DOCUMENT_JOB_LEASE_SECONDS", 90, minimum=2)
DOCUMENT_JOB_MAX_ATTEMPTS = env_int("DOCUMENT_JOB_MAX_ATTEMPTS", 3, minimum=1)
# One person may ask for this many documents and jobs an hour; the same request
# again, while it runs or within DOCUMENT_REUSE_SECONDS of finishing, gets the same job.
DOCUMENT_REQUESTS_PER_HOUR = env_int("DOCUMENT_REQUESTS_PER_HOUR", 60, minimum=1)
DOCUMENT_REUSE_SECONDS = env_int("DOCUMENT_REUSE_SECONDS", 120, minimum=0)
# Attachments (scans, photos) larger than this are refused while they arrive.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Stored files — attachments, visit photos, roster scans, generated documents, import and
# check spreadsheets — all go through Django's storage API: under MEDIA_ROOT by default, or,
# with STORAGE_S3_BUCKET set, in an S3-compatible object store (MinIO, Ceph, a cloud's), so
# web and workers may run on different machines. Files are still served only through the
# permission-checked views, streamed by the app: the bucket stays private and no link to
# it is ever handed out.
STORAGE_S3_BUCKET = env_str("STORAGE_S3_BUCKET", "")
if STORAGE_S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            # Another store than Amazon's: its address (http://minio:9000).
            "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("STORAGE_S3_REGION", "") or None,
            # Without keys, boto3 finds its credentials as usual (an instance role, say).
            "access_key": env_str("STORAGE_S3_ACCESS_KEY", "") or None,
            "secret_key": env_str("STORAGE_S3_SECRET_KEY", "") or None,
            "location": env_str("STORAGE_S3_PREFIX", ""),
            # MinIO and most self-hosted stores answer at http://host/bucket/key.
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_expire": 60,
            # A name is never reused: two uploads of 身份证.jpg are two objects.
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# ---------------------------------------------------------------- email
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set at most one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "warmth@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Admin", address) for address in env_list("ADMIN_EMAILS", [])]
# Error reports hide posted personal data (ID numbers, bank accounts, phones, passwords).
DEFAULT_EXCEPTION_REPORTER_FILTER = "common.error_reports.PersonalDataReporterFilter"
# Emails link back to the site: its address as people reach it, without a trailing slash.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

# ---------------------------------------------------------------- logging
# LOG_FORMAT=json writes one JSON object a line (time, level, logger, message and any extra
# fields), for a log collector; plain text otherwise.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The font subsetter (documents/pdf_compact.py) lists every glyph it keeps at INFO.
        "fontTools": {"level": "WARNING"},
    },
}


# ---------------------------------------------------------------- personal data
# National ID numbers are encrypted at rest (common/crypto.py). Keys are
# Fernet keys (32 url-safe base64 bytes), newest first; generate one with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
# ID_HASH_KEY keys the hash that finds an ID number by exact match.
def _fernet_keys(name: str) -> list[str]:
    import base64
    import hashlib

    keys = env_list(name, [])
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        # Development only, like the development SECRET_KEY above.
        digest = hashlib.sha256(f"{SECRET_KEY}:{name}".encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for key in keys:
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except ValueError:
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"The environment variable {name} must list Fernet keys (44 characters of "
                "url-safe base64 each), separated by commas."
            )
    return keys


FIELD_ENCRYPTION_KEYS = _fernet_keys("FIELD_ENCRYPTION_KEYS")
ID_HASH_KEY = env_str("ID_HASH_KEY", required=not DEBUG) or f"dev-id-hash:{SECRET_KEY}"
if len(ID_HASH_KEY) < 32:
    raise ImproperlyConfigured(
        "The environment variable ID_HASH_KEY must be at least 32 characters."
    )
# How often one person may ask which unit, anywhere, holds an ID number.
ID_HOLDER_LOOKUPS_PER_HOUR = env_int("ID_HOLDER_LOOKUPS_PER_HOUR", 30, minimum=1)
# Only while ID_HASH_KEY is being rotated: the key used until then. Lookups match
# either, and rotate_encryption_keys carries every stored hash over to the new key.
ID_HASH_PREVIOUS_KEY = env_str("ID_HASH_PREVIOUS_KEY", "")
if ID_HASH_PREVIOUS_KEY and len(ID_HASH_PREVIOUS_KEY) < 32:
    raise ImproperlyConfigured(
        "The environment variable ID_HASH_PREVIOUS_KEY must be at least 32 characters."
    )

# ---------------------------------------------------------------- access
# Views under these URL namespaces enforce access themselves (Django admin:
# staff only, with branch-scoped ModelAdmins); every other view must declare
# its rule (people/access.py).
ACCESS_RULE_EXEMPT_NAMESPACES = ["admin"]

# ---------------------------------------------------------------- backups
# `manage.py backup` encrypts to these age public keys (age1…, comma-separated) and writes into
# BACKUP_DIR; PG_BIN_DIR holds pg_dump/pg_restore when the PATH's are older than the server.
BACKUP_RECIPIENTS = env_list("BACKUP_RECIPIENTS", [])
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
PG_BIN_DIR = env_str("PG_BIN_DIR", "")

# ---------------------------------------------------------------- the audit page
# A household's personal data is erased this many years after its file left hardship or was
# closed (audit/retention.py), by a monthly task.
RETENTION_YEARS = env_int("RETENTION_YEARS", 10, minimum=1)
# At most this many rows in one export of the audit (the page itself shows 100 at a time).
AUDIT_EXPORT_MAX_ROWS = env_int("AUDIT_EXPORT_MAX_ROWS", 20000, minimum=100)

# ---------------------------------------------------------------- health
# /health/deep/ (documents/health.py) warns when this many messages wait in the queue, and
# fails when a job has waited for a worker longer than this; a monitoring system may read it
# with "Authorization: Bearer <HEALTH_TOKEN>" (superusers signed in may always).
HEALTH_QUEUE_WARN = env_int("HEALTH_QUEUE_WARN", 1000, minimum=1)
HEALTH_JOB_WAIT_MINUTES = env_int("HEALTH_JOB_WAIT_MINUTES", 10, minimum=1)
HEALTH_TOKEN = env_str("HEALTH_TOKEN", "")
