"""`manage.py measure_templates`: Django templates against Jinja2 for the layout and the
chronology, in-process (issue 19, part 2). See bench/measure_templates.py.

It seeds a throwaway test database (in memory on SQLite, `test_<name>` on PostgreSQL), never
the one the settings name, and drops it afterwards.
"""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)

from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = "Times the layout and the chronology under Django templates and under Jinja2."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--per-round", type=int, default=100)
        parser.add_argument("--profile-runs", type=int, default=100)
        parser.add_argument(
            "--dump", type=Path, default=None, help="A folder to write both engines' pages to."
        )

    def handle(self, *args, rounds, per_round, profile_runs, dump, **options):
        from bench import measure_templates

        setup_test_environment()
        environment_set_up = [True]

        def before_timing():
            teardown_test_environment()
            environment_set_up.clear()

        old = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        try:
            with scopes_disabled():
                result = measure_templates.run(
                    stdout=self.stdout,
                    rounds=rounds,
                    per_round=per_round,
                    profile_runs=profile_runs,
                    before_timing=before_timing,
                )
        finally:
            teardown_databases(old, verbosity=0)
            if environment_set_up:
                teardown_test_environment()
        self.stdout.write(measure_templates.report(result))
        if dump:
            dump.mkdir(parents=True, exist_ok=True)
            for number, (label, pages) in enumerate(result["html"].items()):
                for engine, page in pages.items():
                    (dump / f"{number}-{engine.replace(' ', '-')}.html").write_text(page)
                self.stdout.write(f"{dump}/{number}-*.html: {label}")
