from django.core.management.base import BaseCommand, CommandError

from demo.school import demo_school_exists, seed_demo_school
from kestrel.ops.production import refuse_in_production
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = "Creates the demo school (staff, students, categories, alert groups, agencies)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has a school.",
        )

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(self, *args, if_empty=False, **options):
        refuse_in_production("seed_demo")
        if demo_school_exists():
            if if_empty:
                self.stdout.write("A school is already set up: the demo school was not added.")
                return
            raise CommandError(
                "The database already has a school; seed the demo into an empty one."
            )
        school = seed_demo_school()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded the demo school “{school.name}”. Sign in as chloe.kelan@example.org "
                "after setting a password through “Forgotten your password or using Kestrel for "
                "the first time?” (the email appears in this terminal)."
            )
        )
