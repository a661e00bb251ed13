"""The bench serves the production settings (bench.settings), yet may seed its own database."""

import subprocess
import sys

from kestrel.ops.tests.test_production_refusals import ROOT, production_environment


def test_the_bench_settings_may_seed_the_benchs_own_database(tmp_path):
    ran = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.KESTREL_PRODUCTION)",
        ],
        cwd=ROOT,
        env={**production_environment(tmp_path), "DJANGO_SETTINGS_MODULE": "bench.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.stdout.strip().splitlines()[-1] == "False", ran.stderr
