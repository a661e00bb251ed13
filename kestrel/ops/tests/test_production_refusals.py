"""Commands that make up data never run under the production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kestrel.schools.models import School

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("seed_demo", {}),
        ("seed_demo", {"if_empty": True}),
        ("seed_scale", {"schools": 1, "staff": 3, "students": 1, "incidents": 0}),
    ],
)
def test_made_up_data_is_refused_under_production_settings_and_nothing_is_written(command, options):
    with override_settings(KESTREL_PRODUCTION=True), pytest.raises(CommandError) as refused:
        call_command(command, **options)
    assert "does not run with kestrel.settings_production" in str(refused.value)
    assert not School.objects.exists()


def production_environment(tmp_path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kestrel.settings_production",
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEYS": "qM1Jdx7wO0Ih0ULMFLW5EhH7zJQJKqs6V1-8FQy5n9s=",
        "SITE_URL": "https://kestrel.example.org",
        "EMAIL_URL": "smtp://mail.example.org:25",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "KESTREL_VAR_DIR": str(tmp_path),
    }


@pytest.mark.parametrize("command", ["seed_demo", "seed_scale"])
def test_manage_py_refuses_with_the_production_settings_module(tmp_path, command):
    ran = subprocess.run(
        [sys.executable, "manage.py", command],
        cwd=ROOT,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode != 0
    assert "does not run with kestrel.settings_production" in ran.stderr


@pytest.mark.django_db
def test_the_demo_still_seeds_with_the_default_settings():
    call_command("seed_demo", if_empty=True)
    assert School.objects.count() == 1
