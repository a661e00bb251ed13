"""The alert sweep (a periodic job of `manage.py worker`): no alert email is left without a task.

An alert email waiting (`pending`) or claimed (`sending`) for longer than ALERT_EMAIL_SWEEP_SECONDS
with no task that will send it (a worker died with the task that was to queue it, or between its
claim and its send) is queued again. Never twice: the send claims the alert by compare-and-set
and keeps the alert's Message-ID.
"""

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.tasks import default_task_backend
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from kestrel.alerts.models import Alert
from kestrel.alerts.tasks import send_alert_email, watchdog_delay
from kestrel.schools.scope import scopes_disabled

logger = logging.getLogger(__name__)

# The tasks that send, or queue, alert emails, and where their alert ids are.
ALERT_TASKS = {
    "kestrel.alerts.tasks.send_alert_email": lambda args: [args[0]],
    "kestrel.alerts.tasks.send_alert_emails": lambda args: args[0],
}


def alerts_with_a_task() -> set[int]:
    """Alerts that a queued or running task will send. (Run `recover_tasks` first: a task whose
    worker died stays RUNNING until it does.)"""
    covered: set[int] = set()
    tasks = DBTaskResult.objects.filter(
        status__in=["READY", "RUNNING"], task_path__in=ALERT_TASKS
    ).values_list("task_path", "args_kwargs")
    for path, args_kwargs in tasks.iterator():
        try:
            covered.update(int(pk) for pk in ALERT_TASKS[path](args_kwargs["args"]))
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    return covered


def sweep_alerts() -> str:
    """Queues again every alert email left with no task past the bound."""
    now = timezone.now()
    bound = now - datetime.timedelta(seconds=settings.ALERT_EMAIL_SWEEP_SECONDS)
    # Across schools on purpose: the sweep is the backstop for every school's alert emails; it
    # reads only ids and states, and each email's task enters its own school's scope.
    with scopes_disabled():
        waiting = list(
            Alert.objects.filter(
                Q(email_status="pending", created_at__lt=bound)
                | Q(email_status="sending", email_claimed_at__lt=bound)
            ).values_list("pk", "email_status", "email_claimed_at")
        )
    # Another backend (a broker) cannot be asked what it holds: queue them all, harmlessly.
    watched = isinstance(send_alert_email.get_backend(), DatabaseBackend)
    covered = alerts_with_a_task() if watched else set()
    queued = 0
    for pk, status, claimed_at in waiting:
        if pk in covered:
            continue
        due = None
        if status == "sending":  # its watchdog was lost: run when the claim is stale
            due = claimed_at + datetime.timedelta(seconds=watchdog_delay())
        if due and due > now and default_task_backend.supports_defer:
            send_alert_email.using(run_after=due).enqueue(pk)
        else:
            send_alert_email.enqueue(pk)
        queued += 1
    if queued:
        logger.warning("Alert sweep: %s alert emails had no task and were queued again", queued)
    return f"{queued} alert emails queued again"
