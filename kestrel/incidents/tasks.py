"""What the worker does just after an incident is added, so that the request does not."""

from django.db import transaction
from django.tasks import task

from kestrel.alerts.tasks import enqueue_alert_emails
from kestrel.incidents.models import Draft
from kestrel.ops.faults import pause_point


@task
def incident_added(alert_ids: list[int], author_id: int, draft: str) -> str:
    """Queues each alert's email and removes the form's draft, now a copy of the incident (it
    is no longer offered from the moment the incident is committed: see `drafts.drafts_of`).

    Safe to run again: a worker that dies here loses nothing, as its task is run again
    (`kestrel.ops.worker.recover_tasks`) and the alert sweep finds any alert left unqueued."""
    with transaction.atomic():
        enqueue_alert_emails(alert_ids)
        pause_point("incident_added")
        removed, _ = Draft.objects.filter(author_id=author_id, submission=draft).delete()
    return f"{len(alert_ids)} emails queued, {removed} draft removed"
