"""What the worker does just after an incident is added, so that the request does not."""

from django.tasks import task

from kestrel.accounts.models import User
from kestrel.incidents.models import Draft
from kestrel.schools.scope import school_id_of, scope


@task
def remove_draft(author_id: int, draft: str) -> str:
    """Removes the form's draft, now a copy of the incident (it is no longer offered from the
    moment the incident is committed: see `drafts.drafts_of`). Run by the worker with the
    alerts' emails (`alerts.tasks.send_alert_emails`), or on its own when nobody was alerted.

    Safe to run again: a worker that dies here loses nothing, as its task is run again
    (`kestrel.ops.worker.recover_tasks`)."""
    school_id = school_id_of(User, author_id)
    if school_id is None:
        return "0 draft removed"
    with scope(school=school_id):  # the author's school: their drafts are its rows
        removed, _ = Draft.objects.filter(author_id=author_id, submission=draft).delete()
    return f"{removed} draft removed"
