"""Reading Kestrel's configuration from environment variables, with safe local defaults.

Every variable is documented in the README. A value that cannot be understood stops Kestrel with a
message that names the variable, rather than a traceback or a half-configured server.
"""

import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError

DATABASE_URL_EXAMPLES = "postgres://user:password@host:5432/name or sqlite:///path/to/file.sqlite3"
EMAIL_URL_EXAMPLES = "smtp://user:password@host:587 (smtp+tls://, smtp+ssl://) or console://"


def read_env() -> Env:
    env = Env(expand_vars=False)
    return env


PLAN_CACHE_MODES = {"auto", "force_generic_plan", "force_custom_plan"}


def database_from_url(
    url: str,
    *,
    var_dir: Path,
    plan_cache_mode: str = "force_generic_plan",
    parallel_workers: int = 0,
) -> dict:
    """Turns DATABASE_URL into Django's DATABASES entry (SQLite gets WAL and a busy timeout;
    PostgreSQL prepared statements, with `plan_cache_mode`, and `parallel_workers` per query)."""
    import dj_database_url

    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL {redact(url)!r} is not a database URL Kestrel understands. "
            f"Expected {DATABASE_URL_EXAMPLES}."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(
            f"DATABASE_URL {redact(url)!r} could not be read ({error}). "
            f"Expected {DATABASE_URL_EXAMPLES}."
        ) from error
    if config["ENGINE"] == "django.db.backends.sqlite3":
        name = config["NAME"]
        if not name or name == ":memory:":
            raise ImproperlyConfigured(
                "DATABASE_URL names no SQLite file. Expected sqlite:///path/to/file.sqlite3."
            )
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers and one writer work at once; IMMEDIATE transactions plus a busy timeout
        # make a second writer wait its turn instead of failing with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        if not config.get("NAME"):
            raise ImproperlyConfigured(
                f"DATABASE_URL {redact(url)!r} names no database. Expected {DATABASE_URL_EXAMPLES}."
            )
        if parallel_workers < 0:
            raise ImproperlyConfigured(
                f"DATABASE_PARALLEL_WORKERS must be 0 or more, not {parallel_workers}."
            )
        if plan_cache_mode not in PLAN_CACHE_MODES:
            raise ImproperlyConfigured(
                f"DATABASE_PLAN_CACHE_MODE {plan_cache_mode!r} is not one of PostgreSQL's: "
                f"expected {', '.join(sorted(PLAN_CACHE_MODES))}."
            )
        config["CONN_HEALTH_CHECKS"] = True
        # Parameters travel apart from the SQL, so a query a connection sends again is run from
        # PostgreSQL's prepared statement instead of being parsed and planned anew (psycopg
        # prepares it the second time; workers keep their connections in production).
        # A prepared statement is planned once for any parameters (a "generic" plan): left to
        # choose, PostgreSQL planned the Dashboard's and the chronology's joins anew at every
        # request (0.5 to 1.4 ms each) for plans no faster than the generic one (measured with
        # EXPLAIN on the 1M-incident database). DATABASE_PLAN_CACHE_MODE=auto restores its choice.
        config["OPTIONS"] = {
            **config.get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": 1,
            # No parallel workers for a page's queries: a generic plan costed over 1,000,000
            # incidents chose a parallel plan for the Dashboard's "My history", whose two
            # workers took 9 to 12 ms to start for a query that reads a few index pages (1.7 ms
            # without them; measured on the large bench). A page's queries are small by design;
            # DATABASE_PARALLEL_WORKERS gives reports and exports that scan widely their workers.
            "options": f"-c plan_cache_mode={plan_cache_mode} "
            f"-c max_parallel_workers_per_gather={parallel_workers}",
        }
    return config


def email_from_url(url: str) -> dict:
    """Turns EMAIL_URL into Django's MAILERS entry; console:// prints mail to the terminal."""
    scheme = urlsplit(url).scheme
    if scheme in {"console", "consolemail"}:
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "memory":
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in {"smtp", "smtp+tls", "smtps", "smtp+ssl", "submission"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL {redact(url)!r} is not a mail URL Kestrel understands. "
            f"Expected {EMAIL_URL_EXAMPLES}."
        )
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"EMAIL_URL {redact(url)!r} has an invalid port.") from error
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL {redact(url)!r} names no host.")
    use_ssl = scheme in {"smtps", "smtp+ssl"}
    use_tls = scheme in {"smtp+tls", "submission"}
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname,
            "port": port or (465 if use_ssl else 587 if use_tls else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            "timeout": 20,
        },
    }


def local_secret_key(var_dir: Path) -> str:
    """A secret key made once for this machine and kept in var/, for local use only."""
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def local_field_encryption_keys(var_dir: Path) -> list[str]:
    """A Fernet key made once for this machine and kept in var/, for local use only: the database
    alone must never be enough to read the secrets Kestrel encrypts (kestrel.encryption)."""
    path = var_dir / "field_encryption_keys"
    if not path.exists():
        from cryptography.fernet import Fernet

        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return [key.strip() for key in path.read_text().split(",") if key.strip()]


def redact(url: str) -> str:
    """The URL with any password replaced, safe to print in an error message."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


__all__ = [
    "EnvError",
    "database_from_url",
    "email_from_url",
    "local_field_encryption_keys",
    "local_secret_key",
    "read_env",
    "redact",
]
