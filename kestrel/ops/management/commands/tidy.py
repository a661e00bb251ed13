"""`manage.py tidy`: removes what was left unfinished. Run it daily (cron, a systemd timer).

- files uploaded to a form that was never submitted (after 2 days);
- drafts of Add Incident not touched for 30 days (they hold what was typed about a child), and
  drafts whose incident has been added (the worker removes those; this catches any it missed);
- rate-limit counts older than a day;
- the task queue's finished tasks after a week (the worker's sweeps look at the queue every
  30 seconds: it must stay small);
and publishes each audit chain's head (as the worker does every few minutes), so that rows
removed from a chain's end are found even where no worker runs.
Nothing that belongs to a recorded incident, action or the audit trail is ever touched.
"""

import datetime

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kestrel.accounts import throttle
from kestrel.audit.heads import publish_heads
from kestrel.audit.sealing import seal_all
from kestrel.audit.services import record
from kestrel.files.models import Attachment
from kestrel.incidents.drafts import added
from kestrel.incidents.models import Draft
from kestrel.schools.scope import scopes_disabled

UNUSED_UPLOAD_AGE = datetime.timedelta(days=2)
DRAFT_AGE = datetime.timedelta(days=30)
FINISHED_TASK_AGE = datetime.timedelta(days=7)


class Command(BaseCommand):
    help = "Removes unsubmitted uploads, stale drafts and old rate-limit counts."

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(self, *args, **options):
        now = timezone.now()
        orphans = Attachment.objects.filter(
            incident__isnull=True, action__isnull=True, uploaded_at__lt=now - UNUSED_UPLOAD_AGE
        )
        removed_files = 0
        for attachment in orphans.iterator():
            with transaction.atomic():
                default_storage.delete(attachment.stored_name)
                record(
                    action="file.unused_removed",
                    school=attachment.school,
                    obj=attachment,
                    detail={"uploaded_by": attachment.uploaded_by_id},
                )
                attachment.delete()
            removed_files += 1
        drafts, _ = Draft.objects.filter(
            Q(updated_at__lt=now - DRAFT_AGE) | Q(Exists(added()))
        ).delete()
        counts = throttle.prune()
        tasks, _ = (
            DBTaskResult.objects.finished().filter(finished_at__lt=now - FINISHED_TASK_AGE).delete()
        )
        if connection.vendor == "sqlite":
            # SQLite's advice for long-lived databases: refresh the planner's statistics where
            # they have gone stale (PostgreSQL's autovacuum does this by itself).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA analysis_limit=2000")
                cursor.execute("PRAGMA optimize")
        sealed = seal_all()
        heads = publish_heads(every_seconds=0)
        self.stdout.write(
            f"Removed {removed_files} unused uploads, {drafts} stale drafts, "
            f"{counts} old rate-limit counts, {tasks} finished tasks. "
            f"{sealed.capitalize()}; published {heads} audit chain heads."
        )
