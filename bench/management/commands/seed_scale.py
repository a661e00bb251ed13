"""`manage.py seed_scale`: a multi-academy trust's ten years of records, for benchmarks.

Run it on a database of its own (DATABASE_URL), never on one that staff use.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from bench import scale
from kestrel.ops.production import refuse_in_production
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = (
        "Adds the schools “Scale Academy 1” to “Scale Academy N” with staff, students and ten "
        "years of incidents, actions, alerts and audit events, for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=5)
        parser.add_argument("--staff", type=int, default=300, help="In all, across the schools.")
        parser.add_argument("--students", type=int, default=50_000)
        parser.add_argument("--incidents", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=scale.SEED, help="For the same data again.")

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(self, *args, schools, staff, students, incidents, seed, **options):
        refuse_in_production("seed_scale")
        if schools < 1 or students < schools or incidents < 0:
            raise CommandError(
                "Give --schools 1 or more, --students at least --schools, --incidents 0 or more."
            )
        if staff < 3 * schools:
            raise CommandError(
                "Give --staff of at least 3 per school: an administrator, a DSL and a colleague."
            )
        started = time.monotonic()
        try:
            counts = scale.seed_scale(
                schools=schools,
                staff=staff,
                students=students,
                incidents=incidents,
                seed=seed,
                log=self.stdout.write,
            )
        except scale.SchoolExists as taken:
            raise CommandError(
                f"A school named “{taken}” already exists: seed_scale only adds new schools.",
                returncode=2,
            ) from None
        width = max(len(name) for name in counts)
        for name, rows in counts.items():
            self.stdout.write(f"  {name:<{width}}  {rows:>10}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {schools} schools, {sum(counts.values())} rows in "
                f"{time.monotonic() - started:.1f} s. Staff sign in as "
                f"scale-<school>-<n>@example.org with the password “{scale.PASSWORD}”."
            )
        )
