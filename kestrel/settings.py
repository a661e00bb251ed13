"""Kestrel's settings: everything that differs between machines comes from the environment.

Local defaults are safe: a SQLite file under var/, mail printed to the console, DEBUG off, a secret
key generated once into var/. `kestrel.settings_production` tightens the rest for a real server.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from kestrel.environment import (
    EnvError,
    database_from_url,
    email_from_url,
    local_field_encryption_keys,
    local_secret_key,
    read_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KESTREL_VAR_DIR", BASE_DIR / "var"))

env = read_env()
try:
    DEBUG = env.bool("DEBUG", default=False)
    SECRET_KEY = env.str("SECRET_KEY", default="") or local_secret_key(VAR_DIR)
    # Fernet keys for secrets kept encrypted in the database (kestrel.encryption): the first
    # encrypts, every one decrypts, so a new key goes first and old ones stay until rotated out.
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[]) or (
        local_field_encryption_keys(VAR_DIR)
    )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
    SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
    DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kestrel.sqlite3'}")
    DATABASE_PLAN_CACHE_MODE = env.str("DATABASE_PLAN_CACHE_MODE", default="force_generic_plan")
    DATABASE_PARALLEL_WORKERS = env.int("DATABASE_PARALLEL_WORKERS", default=0)
    EMAIL_URL = env.str("EMAIL_URL", default="console://")
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kestrel <kestrel@localhost>")
    TASKS_BACKEND = env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    AUDIT_KEY = env.str("AUDIT_KEY", default="")
    # Where the worker publishes each audit chain's head: somewhere the database's own
    # administrators cannot rewrite (see kestrel.audit.heads).
    AUDIT_HEADS_DIR = env.path("AUDIT_HEADS_DIR", default=str(VAR_DIR / "audit-heads"))
    # An audit row is written at once and linked into its chain by the worker's sealer within
    # this many seconds; `verify_audit` reports rows left unsealed longer (kestrel.audit.sealing).
    AUDIT_SEAL_SECONDS = env.int("AUDIT_SEAL_SECONDS", default=5)
    # The most an office document (a ZIP inside) may unpack to; more is refused as a zip bomb.
    FILES_MAX_UNPACKED_MB = env.int("FILES_MAX_UNPACKED_MB", default=100)
    # Whether another Kestrel may be at a loopback or private address (and plain http to this
    # machine): for development and tests only; off, such addresses are refused
    # (kestrel.transfer_pages.kestrel_peers).
    TRANSFER_PEERS_ALLOW_PRIVATE = env.bool("TRANSFER_PEERS_ALLOW_PRIVATE", default=False)
except EnvError as error:
    raise ImproperlyConfigured(str(error)) from error

DATABASES = {
    "default": database_from_url(
        DATABASE_URL,
        var_dir=VAR_DIR,
        plan_cache_mode=DATABASE_PLAN_CACHE_MODE,
        parallel_workers=DATABASE_PARALLEL_WORKERS,
    )
}
MAILERS = {"default": email_from_url(EMAIL_URL)}
SERVER_EMAIL = DEFAULT_FROM_EMAIL

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "kestrel.schools",
    "kestrel.accounts",
    "kestrel.students",
    "kestrel.incidents",
    "kestrel.alerts",
    "kestrel.audit",
    "kestrel.access",
    "kestrel.library",
    "kestrel.files",
    "kestrel.audit_pages",
    "kestrel.school_setup",
    "kestrel.roster",
    "kestrel.school_calendar",
    "kestrel.casefile",
    "kestrel.key_facts",
    "kestrel.transfers",
    "kestrel.case_pages",
    "kestrel.exports",
    "kestrel.transfer_pages",
    "kestrel.training",
    "kestrel.training_pages",
    "kestrel.reports",
    "kestrel.report_pages",
    "kestrel.trust_pages",
    "kestrel.account_pages",
    "kestrel.ops",
    "bench",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kestrel.accounts.middleware.SessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kestrel.access.middleware.SchoolScopeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kestrel.accounts.devices.TrustedDeviceMiddleware",
    "kestrel.accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kestrel.access.middleware.PrivatePagesMiddleware",
]

ROOT_URLCONF = "kestrel.urls"
WSGI_APPLICATION = "kestrel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kestrel" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "kestrel.context_processors.shell",
            ],
            "builtins": ["kestrel.templatetags.kestrel"],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["kestrel.accounts.backends.UserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [{"NAME": "kestrel.accounts.passwords.StrongPasswordValidator"}]


# Second factor: authenticator apps (TOTP, RFC 6238) and passkeys (WebAuthn), through django-otp.
def OTP_TOTP_ISSUER(device):
    """Authenticator apps show "Kestrel (Ashdown Primary School)"."""
    return f"Kestrel ({device.user.school.name})"


OTP_TOTP_THROTTLE_FACTOR = 0  # Kestrel's own lockout (kestrel.accounts.throttle) applies instead
# No drift tracking: a code from a step ahead must not move the window on (issue 17, item 10);
# codes are accepted one 30-second step either side of the server's clock, always.
OTP_TOTP_SYNC = False
OTP_WEBAUTHN_RP_ID_CALLABLE = "kestrel.accounts.passkeys.relying_party_id"
OTP_WEBAUTHN_RP_NAME_CALLABLE = "kestrel.accounts.passkeys.relying_party_name"
OTP_WEBAUTHN_HELPER_CLASS = "kestrel.accounts.passkeys.KestrelWebAuthnHelper"
# The helper accepts the origin actually served (Django has checked its host); this list is only
# what django-otp-webauthn's start-up check reads.
OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL if SITE_URL.startswith("https://") else "http://localhost"]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is a second factor, after the password
SESSION_ABSOLUTE_LIMIT_HOURS = 12
# A browser that signed in fully is trusted for that account this long (kestrel.accounts.devices).
DEVICE_COOKIE_AGE = 365 * 24 * 60 * 60

# Sessions: 30 minutes idle, renewed by activity (at most once a minute); the cookie dies with
# the browser.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False  # renewed once a minute: accounts.middleware
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "kestrel_session"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "kestrel_csrftoken"

# Security headers on every response. Scripts and styles come only from Kestrel's own origin; the
# few inline scripts carry a per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None  # set in production, where collectstatic gathers the files
STATICFILES_DIRS = [BASE_DIR / "kestrel" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "files"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "audit_heads": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": AUDIT_HEADS_DIR},
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": TASKS_BACKEND}}

# Files above this size are streamed to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# `manage.py worker` supervises db_worker and runs these every WORKER_PERIOD_SECONDS, in order.
WORKER_PERIOD_SECONDS = 30
# ...and the audit sealer more often: a fifth of the bound, so a row waits one run at most.
SEALER = "kestrel.audit.sealing.seal_all"
AUDIT_SEAL_EVERY_SECONDS = max(AUDIT_SEAL_SECONDS / 5, 0.2)
PERIODIC_JOBS = [
    "kestrel.ops.worker.recover_tasks",
    "kestrel.alerts.sweep.sweep_alerts",
    "kestrel.audit.heads.publish_heads",
    "kestrel.roster.services.forget_old_imports",
    "kestrel.exports.services.forget_old_exports",
    "kestrel.transfers.services.start_transfers_for_all_leavers",
    "kestrel.transfers.services.chase_transfers",
    "kestrel.training.reminders.send_training_reminders",
]
# A chain's head is published at most this often (rows written since the last publication are
# the ones whose removal from the chain's end would not be noticed).
AUDIT_HEADS_EVERY_SECONDS = 5 * 60
TASK_RUNNING_TIMEOUT_SECONDS = 30 * 60  # a task RUNNING this long, on any machine, is dead
TASK_MAX_RUNS = 5  # a task whose worker died this many times is marked failed
# Alert emails: a claim is stale after this long; an alert email with no task for
# ALERT_EMAIL_SWEEP_SECONDS is queued again; one undelivered after ALERT_EMAIL_OVERDUE_MINUTES
# is listed for the administrator (School set-up, Email delivery problems).
ALERT_EMAIL_CLAIM_SECONDS = 10 * 60
ALERT_EMAIL_SWEEP_SECONDS = 2 * 60
ALERT_EMAIL_OVERDUE_MINUTES = 15
MESSAGE_STORAGE = "kestrel.notices.MessageStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset or first-time link lasts one hour
FORM_RENDERER = "kestrel.forms.GovukFormRenderer"
