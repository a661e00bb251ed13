from django.core.management.base import BaseCommand, CommandError

from kestrel.audit import chain, heads
from kestrel.audit.models import AuditEvent
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = (
        "Checks the audit trail's hash chains and compares them with the published chain heads; "
        "names the first altered, removed or inserted row, and rows removed from a chain's end."
    )

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(self, *args, **options):
        breaks = [f"Audit trail broken at {found}" for found in chain.verify()]
        ends, note = heads.check()
        total = AuditEvent.all_schools.count()
        self.stdout.write(note)
        problems = breaks + [f"Published heads: {problem}" for problem in ends]
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(breaks)} broken chain(s) and {len(ends)} problem(s) with published heads "
                f"among {total} audit events."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {total} events checked."))
