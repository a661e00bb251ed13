"""`manage.py bench` (`make bench`): Kestrel's pages under load, against a bare Django view.

Serves Kestrel as production does (gunicorn, two workers, the production settings) on a
database of the bench's own, drives the floor and each page with wrk as signed-in staff, and
prints one table; the numbers are saved as JSON under var/bench/. SQLite unless DATABASE_URL
names a PostgreSQL server, on which the bench makes a database `kestrel_bench_<size>`.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.runner.database import SIZES
from bench.runner.hide_names import profile_hide_names
from bench.runner.load import Load
from bench.runner.mixed import MixedLoad
from bench.runner.pages import PAGE_KEYS
from bench.runner.run import INSIDE, environment, run
from bench.runner.run import profile as run_profile
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = "Benchmarks Kestrel's pages under gunicorn with wrk, against a bare Django view."
    # The checks would open the developer's database; the bench's own process runs them when it
    # migrates the bench database.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default=os.environ.get("BENCH_SIZE") or "small",
            help="How much data to seed (default small; BENCH_SIZE).",
        )
        parser.add_argument(
            "--seconds",
            type=int,
            default=int(os.environ.get("BENCH_SECONDS") or 10),
            help="How long wrk drives each page (default 10; BENCH_SECONDS).",
        )
        parser.add_argument(
            "--mixed-seconds",
            type=int,
            default=int(os.environ.get("BENCH_MIXED_SECONDS") or 60),
            help="How long the mixed run drives the busiest pages together after the pages' own "
            "runs (default 60; 0 skips it; BENCH_MIXED_SECONDS).",
        )
        parser.add_argument(
            "--mixed-connections",
            type=int,
            default=32,
            help="Connections of the mixed run, each on a wrk thread of its own (default 32).",
        )
        parser.add_argument("--warmup", type=int, default=1, help="Seconds of warm-up per page.")
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument(
            "--out", type=Path, default=None, help="Where results go (default var/bench/)."
        )
        parser.add_argument(
            "--fresh", action="store_true", help="Drop the bench database and seed it again."
        )
        parser.add_argument(
            "--profile",
            metavar="PAGE",
            choices=(*PAGE_KEYS, "hide_names"),
            help="Instead of the bench: where one page's time goes, in-process "
            f"({', '.join(PAGE_KEYS)}); or hide_names: starring a 5,000-character text "
            "against 2,000 pupils' names (no database).",
        )
        parser.add_argument(
            "--requests", type=int, default=50, help="Requests to profile (default 50)."
        )

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(
        self,
        *args,
        size,
        seconds,
        mixed_seconds,
        mixed_connections,
        warmup,
        connections,
        threads,
        out,
        fresh,
        profile,
        requests,
        **options,
    ):
        if (
            seconds < 1
            or warmup < 0
            or connections < threads
            or threads < 1
            or requests < 1
            or mixed_seconds < 0
            or mixed_connections < 1
        ):
            raise CommandError(
                "Need --seconds >= 1, --warmup >= 0, --connections >= --threads, --requests >= 1, "
                "--mixed-seconds >= 0, --mixed-connections >= 1."
            )
        if profile == "hide_names":
            profile_hide_names(self.stdout)
            return
        out_dir = (out or Path(settings.VAR_DIR) / "bench").resolve()
        load = Load(
            seconds=seconds, warmup_seconds=warmup, connections=connections, threads=threads
        )
        if os.environ.get(INSIDE) and profile:
            run_profile(size=SIZES[size], key=profile, requests=requests, stdout=self.stdout)
            return
        mixed = (
            MixedLoad(seconds=mixed_seconds, connections=mixed_connections)
            if mixed_seconds
            else None
        )
        if os.environ.get(INSIDE):
            failed = run(
                size=SIZES[size],
                load=load,
                mixed=mixed,
                out_dir=out_dir,
                fresh=fresh,
                stdout=self.stdout,
            )
            if failed:
                raise CommandError(failed)
            return
        # Start again in a process of the bench's own: its settings, its database, its secret key.
        env = environment(size=SIZES[size], out_dir=out_dir, server_url=settings.DATABASE_URL)
        arguments = [
            f"--size={size}",
            f"--seconds={seconds}",
            f"--mixed-seconds={mixed_seconds}",
            f"--mixed-connections={mixed_connections}",
            f"--warmup={warmup}",
            f"--connections={connections}",
            f"--threads={threads}",
            f"--out={out_dir}",
            *(["--fresh"] if fresh else []),
            *([f"--profile={profile}", f"--requests={requests}"] if profile else []),
        ]
        completed = subprocess.run(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", *arguments],
            cwd=settings.BASE_DIR,
            env=env,
            check=False,
        )
        if completed.returncode:
            sys.exit(completed.returncode)
