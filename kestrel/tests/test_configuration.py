"""Configuration from the environment: safe defaults, clear refusals, a clean production check."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kestrel.environment import database_from_url, email_from_url, local_secret_key

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, env_overrides=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path}/k.sqlite3", var_dir=tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] >= 5


def test_postgres_url_is_understood(tmp_path):
    url = "postgres://kestrel:s3cret@db.example:5433/kestrel"
    config = database_from_url(url, var_dir=tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5433, "kestrel")
    assert config["USER"] == "kestrel"
    # Prepared statements, each planned once for any parameters.
    assert config["OPTIONS"]["prepare_threshold"] == 1
    assert config["OPTIONS"]["options"] == (
        "-c plan_cache_mode=force_generic_plan -c max_parallel_workers_per_gather=0"
    )


def test_postgres_plan_cache_mode_can_be_left_to_postgres_and_nonsense_is_refused(tmp_path):
    url = "postgres://kestrel@db.example/kestrel"
    config = database_from_url(url, var_dir=tmp_path, plan_cache_mode="auto")
    assert config["OPTIONS"]["options"] == (
        "-c plan_cache_mode=auto -c max_parallel_workers_per_gather=0"
    )
    with pytest.raises(ImproperlyConfigured, match="DATABASE_PLAN_CACHE_MODE"):
        database_from_url(url, var_dir=tmp_path, plan_cache_mode="fast")


def test_postgres_parallel_workers_are_off_for_pages_unless_asked_for(tmp_path):
    url = "postgres://kestrel@db.example/kestrel"
    config = database_from_url(url, var_dir=tmp_path, parallel_workers=2)
    assert config["OPTIONS"]["options"].endswith("-c max_parallel_workers_per_gather=2")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_PARALLEL_WORKERS"):
        database_from_url(url, var_dir=tmp_path, parallel_workers=-1)


def test_postgres_connections_plan_generically(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.parametrize(
    "url",
    [
        "nonsense",
        "mysql://root@localhost/kestrel",
        "postgres://host:notaport/db",
        "postgres://host/",
    ],
)
def test_a_malformed_database_url_is_refused_with_a_message_naming_it(url, tmp_path):
    with pytest.raises(ImproperlyConfigured) as refusal:
        database_from_url(url, var_dir=tmp_path)
    assert "DATABASE_URL" in str(refusal.value)
    assert "Expected" in str(refusal.value)


def test_a_password_in_a_bad_database_url_is_not_printed(tmp_path):
    with pytest.raises(ImproperlyConfigured) as refusal:
        database_from_url("mysql://root:hunter2@localhost/kestrel", var_dir=tmp_path)
    assert "hunter2" not in str(refusal.value)


def test_manage_py_reports_a_malformed_database_url_plainly_and_exits_non_zero():
    result = run_manage("check", env_overrides={"DATABASE_URL": "postgres//missing-colon"})
    assert result.returncode == 2
    assert result.stderr.startswith("Kestrel cannot start: DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_email_defaults_to_the_console_and_smtp_urls_are_understood():
    assert email_from_url("console://")["BACKEND"].endswith("console.EmailBackend")
    smtp = email_from_url("smtp+tls://user%40school:p%40ss@mail.example:2525")
    assert smtp["BACKEND"].endswith("smtp.EmailBackend")
    assert smtp["OPTIONS"]["host"] == "mail.example"
    assert smtp["OPTIONS"]["port"] == 2525
    assert smtp["OPTIONS"]["username"] == "user@school"
    assert smtp["OPTIONS"]["password"] == "p@ss"
    assert smtp["OPTIONS"]["use_tls"] is True
    assert email_from_url("smtp://127.0.0.1:1025")["OPTIONS"]["use_tls"] is False


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://host:port"])
def test_a_malformed_email_url_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_from_url(url)


def test_the_local_secret_key_is_generated_once_and_kept(tmp_path):
    first = local_secret_key(tmp_path)
    assert len(first) >= 50
    assert local_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_manage(
        "check", env_overrides={"DJANGO_SETTINGS_MODULE": "kestrel.settings_production"}
    )
    assert result.returncode == 2
    assert "SECRET_KEY must be set in production" in result.stderr


FERNET_KEY = "qM1Jdx7wO0Ih0ULMFLW5EhH7zJQJKqs6V1-8FQy5n9s="


def test_production_settings_refuse_to_start_without_an_smtp_server():
    result = run_manage(
        "check",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "kestrel.settings_production",
            "SECRET_KEY": "x7" * 30,
            "FIELD_ENCRYPTION_KEYS": FERNET_KEY,
        },
    )
    assert result.returncode == 2
    assert "EMAIL_URL must name an SMTP server in production" in result.stderr


@pytest.mark.parametrize("site_url", [None, "http://kestrel.example.org"])
def test_production_settings_refuse_to_start_without_an_https_site_url(site_url):
    """Links in password and alert emails follow SITE_URL: unset, they would name 127.0.0.1."""
    env = {
        "DJANGO_SETTINGS_MODULE": "kestrel.settings_production",
        "SECRET_KEY": "x7" * 30,
        "FIELD_ENCRYPTION_KEYS": FERNET_KEY,
        "EMAIL_URL": "smtp+tls://kestrel:secret@mail.example.org:587",
    }
    if site_url:
        env["SITE_URL"] = site_url
    result = run_manage("check", env_overrides=env)
    assert result.returncode == 2
    assert "SITE_URL must be set in production" in result.stderr


def test_production_settings_pass_the_deployment_check(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "kestrel.settings_production",
            "SECRET_KEY": "x7" * 30 + "-production-only-key",
            "ALLOWED_HOSTS": "kestrel.example.org",
            "EMAIL_URL": "smtp+tls://kestrel:secret@mail.example.org:587",
            "FIELD_ENCRYPTION_KEYS": FERNET_KEY,
            "SITE_URL": "https://kestrel.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
            "KESTREL_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_is_off_unless_set():
    from django.conf import settings

    assert settings.DEBUG is False


def test_two_sqlite_writers_at_once_never_see_database_is_locked(tmp_path):
    """Two processes write 150 rows each into one SQLite file at the same moment."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/busy.sqlite3",
        "KESTREL_VAR_DIR": str(tmp_path),
    }
    assert run_manage("migrate", "-v0", env_overrides=env).returncode == 0
    writer = textwrap.dedent(
        """
        from django.db import transaction
        from kestrel.schools.models import School
        for n in range(150):
            with transaction.atomic():
                School.objects.create(name=f"school {n}")
                School.objects.filter(name=f"school {n}").count()
        print("done")
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", writer],
            cwd=ROOT,
            env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (stdout, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr
        assert "database is locked" not in stderr
        assert "done" in stdout
    count = run_manage(
        "shell",
        "-c",
        "from kestrel.schools.models import School; print(School.objects.count())",
        env_overrides=env,
    )
    assert count.stdout.strip().splitlines()[-1] == "300"


def test_production_keeps_database_connections_between_requests(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; db = settings.DATABASES['default']; "
        "print(db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "kestrel.settings_production",
            "SECRET_KEY": "x7" * 30 + "-production-only-key",
            "EMAIL_URL": "smtp+tls://kestrel:secret@mail.example.org:587",
            "FIELD_ENCRYPTION_KEYS": FERNET_KEY,
            "SITE_URL": "https://kestrel.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
            "KESTREL_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["300", "True"]
