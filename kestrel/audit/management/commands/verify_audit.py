import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kestrel.audit import chain, heads
from kestrel.audit.models import AuditEvent
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = (
        "Checks the audit trail's hash chains and compares them with the published chain heads; "
        "names the first altered, removed or inserted row, rows removed from a chain's end, and "
        "rows left unsealed past AUDIT_SEAL_SECONDS (the worker's sealer has stopped)."
    )

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(self, *args, **options):
        breaks = [f"Audit trail broken at {found}" for found in chain.verify()]
        bound = datetime.timedelta(seconds=settings.AUDIT_SEAL_SECONDS)
        breaks += [
            f"Audit trail: {found}" for found in chain.unsealed_faults(bound, timezone.now())
        ]
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
