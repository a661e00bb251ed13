"""Settings for a real server: `DJANGO_SETTINGS_MODULE=kestrel.settings_production`.

Everything local about `kestrel.settings` is refused here: the secret key must come from the
environment, cookies are secure, HTTPS is enforced, static files are hashed and compressed.
`manage.py check --deploy` reports nothing with these settings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in production (50 or more random characters, kept secret)."
    )

if not os.environ.get("FIELD_ENCRYPTION_KEYS"):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set in production: Fernet keys, comma-separated, "
        "kept out of the database and its backups (they protect the authenticator secrets). Make "
        "one with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )

if not os.environ.get("EMAIL_URL", "").startswith(("smtp", "submission")):
    raise ImproperlyConfigured(
        "EMAIL_URL must name an SMTP server in production, for example "
        "smtp+tls://user:password@mail.example.org:587, or staff will never receive alerts."
    )

if not os.environ.get("SITE_URL", "").startswith("https://"):
    raise ImproperlyConfigured(
        "SITE_URL must be set in production to the https:// address staff use, for example "
        "https://kestrel.example.org: password and alert emails link to it."
    )

from kestrel.settings import *  # noqa: F403
from kestrel.settings import DATABASES, STORAGES, VAR_DIR, env

DEBUG = False
# Read by the commands that make up data (seed_demo, seed_scale): they refuse to run here.
KESTREL_PRODUCTION = True
# A worker keeps its database connection between requests (a new PostgreSQL connection costs
# about 4 ms, a new SQLite one its PRAGMAs), checked before reuse after an idle spell.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 63072000  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
