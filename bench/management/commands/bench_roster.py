"""`manage.py bench_roster` (`make bench`, after the pages): importing a school's roster.

On a database of its own, made fresh each run (var/bench/roster.sqlite3, or
`kestrel_bench_roster` on the PostgreSQL server DATABASE_URL names), it imports 50,000 new
students into an empty school, then the same file with 500 registration groups changed, each
step timed with its queries counted; then checks and applies 10,000 and 50,000 new students, each
in a fresh process, for their peak memory. One table, and JSON in var/bench/roster-<db>.json.
It fails when an import's counts are wrong, never for the time it took.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.runner import roster
from bench.runner.run import INSIDE
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = "Times importing 50,000 students and a re-import with 500 changes, and their memory."
    # The checks would open the developer's database; the bench's own process migrates its own.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--students", type=int, default=50_000, help="Students in the file (default 50000)."
        )
        parser.add_argument(
            "--changes",
            type=int,
            default=500,
            help="Registration groups changed in the re-import (default 500).",
        )
        parser.add_argument(
            "--out", type=Path, default=None, help="Where results go (default var/bench/)."
        )
        # The memory runs: a fresh process checks and applies one uploaded import.
        parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)

    # Across schools on purpose: the bench makes its schools, and each import enters its own.
    @scopes_disabled()
    def handle(self, *args, students, changes, out, child, **options):
        if os.environ.get(INSIDE) and child is not None:
            self.stdout.write(roster.CHILD_MARK + json.dumps(roster.child(child)))
            return
        if students < roster.MEMORY_SHARE or not 0 < changes <= students // 2:
            raise CommandError(
                f"Need --students >= {roster.MEMORY_SHARE} and 0 < --changes <= half of them."
            )
        out_dir = (out or Path(settings.VAR_DIR) / "bench").resolve()
        if os.environ.get(INSIDE):
            failed = roster.run(
                students=students, changes=changes, out_dir=out_dir, stdout=self.stdout
            )
            if failed:
                raise CommandError(failed)
            return
        # Start again in a process of the bench's own: its settings, its database, its keys.
        env = roster.roster_environment(
            students=students, out_dir=out_dir, server_url=settings.DATABASE_URL
        )
        completed = subprocess.run(
            [
                sys.executable,
                str(Path(settings.BASE_DIR) / "manage.py"),
                "bench_roster",
                f"--students={students}",
                f"--changes={changes}",
                f"--out={out_dir}",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            check=False,
        )
        if completed.returncode:
            sys.exit(completed.returncode)
