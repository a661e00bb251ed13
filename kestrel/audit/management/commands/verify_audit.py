from django.core.management.base import BaseCommand, CommandError

from kestrel.audit import chain
from kestrel.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Checks the audit trail's hash chains; names the first altered, removed or inserted row."

    def handle(self, *args, **options):
        breaks = list(chain.verify())
        total = AuditEvent.objects.count()
        if breaks:
            for found in breaks:
                self.stderr.write(f"Audit trail broken at {found}")
            raise CommandError(f"{len(breaks)} broken chain(s) among {total} audit events.")
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {total} events checked."))
