"""Alert emails: one per alerted colleague, sent by the worker, never twice.

The email says who alerted them and under which categories, and links to the sign-in page: no
student's name, no incident text, nothing else (the guide). Each alert's email has a fixed
Message-ID, its idempotency key: a worker that dies after sending and before recording it will
send it again on recovery with the same Message-ID, which mailboxes treat as the same message.
"""

import datetime
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.tasks import Task, default_task_backend, task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from kestrel.alerts.models import Alert
from kestrel.audit.services import record
from kestrel.faults import pause_point
from kestrel.mail import header_safe
from kestrel.schools.scope import school_id_of, scope
from kestrel.tasks import enqueue_with_transaction

logger = logging.getLogger(__name__)


def _backoff() -> list[int]:
    """Seconds to wait before each retry; after the last, the email has failed."""
    return list(getattr(settings, "ALERT_EMAIL_BACKOFF_SECONDS", [60, 300, 1800, 7200]))


def claim_timeout() -> datetime.timedelta:
    """How long a claim holds: a worker that has not finished sending by then is taken as dead."""
    return datetime.timedelta(seconds=getattr(settings, "ALERT_EMAIL_CLAIM_SECONDS", 600))


def watchdog_delay() -> int:
    """Seconds from a claim to the run that finds it stale (a little after it goes stale)."""
    seconds = int(claim_timeout().total_seconds())
    return seconds + max(1, seconds // 10)


def message_id(alert: Alert) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "kestrel.local"
    return f"<kestrel-alert-{alert.pk}-{alert.created_at:%Y%m%d%H%M%S}@{host}>"


def queue_alert_emails(alert_ids: list[int], then: tuple[Task, list] | None = None) -> None:
    """The one route by which a request queues alert emails (alerts.services, for new alerts
    and "Send again"): one task row, `send_alert_emails`, in the transaction that made or reset
    the alerts, however many colleagues were alerted; the worker gives each alert its own task.

    `then`, a task and its arguments, is run by the worker in the same step (Add Incident's
    draft removal), so that the request still writes one task row; with no alert to email, it
    is queued on its own."""
    if alert_ids:
        follow_up = [[then[0].module_path, list(then[1])]] if then else []
        enqueue_with_transaction(send_alert_emails, list(alert_ids), *follow_up)
    elif then:
        enqueue_with_transaction(then[0], *then[1])


def enqueue_alert_emails(alert_ids: list[int]) -> None:
    """(In the worker) each alert's email as a task of its own."""
    for alert_id in alert_ids:
        send_alert_email.enqueue(alert_id)


@task
def send_alert_emails(alert_ids: list[int], then: list | None = None) -> str:
    """In the worker: a task per alert, so that each email is claimed, retried and watched on
    its own; then `then` ([task path, arguments], see `queue_alert_emails`), in the same
    transaction.

    Safe to run again: a worker that dies here loses nothing, as its task is run again
    (`kestrel.ops.worker.recover_tasks`) and the alert sweep finds any alert left unqueued."""
    with transaction.atomic():  # one write transaction for the lot
        enqueue_alert_emails(alert_ids)
        pause_point("alert_emails_queued")
        done = f"{len(alert_ids)} emails queued"
        if then:
            path, args = then
            follow_up = import_string(path)
            if not isinstance(follow_up, Task):  # only a task is run from a task's arguments
                raise TypeError(f"{path} is not a task")
            done = f"{done}; {follow_up.call(*args)}"
    return done


def _later(seconds: int):
    return send_alert_email.using(run_after=timezone.now() + datetime.timedelta(seconds=seconds))


def compose(alert: Alert) -> EmailMessage:
    categories = [header_safe(label) for label in alert.incident.category_labels]
    context = {
        "sender": header_safe(alert.sender.full_name),
        "kind": "an action" if alert.action_id else "an incident",
        "categories": ", ".join(categories),
        "link": f"{settings.SITE_URL}{reverse('accounts:login')}",
        "school": alert.school.name,
    }
    return EmailMessage(
        subject=f"Kestrel: {context['sender']} has alerted you ({context['categories']})",
        body=render_to_string("alerts/email/alert.txt", context),
        to=[alert.recipient.email],
        headers={"Message-ID": message_id(alert)},
    )


@task
def send_alert_email(alert_id: int) -> str:
    """Sends one alert's email unless it has been sent (or another worker is sending it), in
    the scope of the alert's school."""
    school_id = school_id_of(Alert, alert_id)
    if school_id is None:
        return "no such alert"
    with scope(school=school_id):
        return _send_alert_email(alert_id)


def _send_alert_email(alert_id: int) -> str:
    now = timezone.now()
    claimable = Q(email_status="pending") | Q(
        email_status="sending", email_claimed_at__lt=now - claim_timeout()
    )
    # The claim and its watchdog commit together: a worker that dies after the claim leaves a
    # watchdog behind, which finds the claim stale and sends (the alert sweep is the backstop).
    with transaction.atomic():
        claimed = Alert.objects.filter(claimable, pk=alert_id).update(
            email_status="sending", email_claimed_at=now, email_attempts=F("email_attempts") + 1
        )
        if not claimed:
            return "not claimed"
        pause_point("claimed")
        if default_task_backend.supports_defer:
            _later(watchdog_delay()).enqueue(alert_id)
    pause_point("sending")
    alert = Alert.objects.select_related("sender", "recipient", "school", "incident").get(
        pk=alert_id
    )
    try:
        compose(alert).send()
    except Exception as error:  # any error: retried, then listed for the administrator
        return _failed(alert, error)
    pause_point("sent")
    Alert.objects.filter(pk=alert_id).update(
        email_status="sent", email_sent_at=timezone.now(), email_error=""
    )
    return "sent"


def _failed(alert: Alert, error: Exception) -> str:
    backoff = _backoff()
    message = f"{type(error).__name__}: {error}"[:300]
    if alert.email_attempts <= len(backoff):
        delay = backoff[alert.email_attempts - 1]
        if default_task_backend.supports_defer:
            with transaction.atomic():  # the retry is queued with the release, or neither is
                Alert.objects.filter(pk=alert.pk).update(
                    email_status="pending", email_error=message
                )
                _later(delay).enqueue(alert.pk)
        else:
            Alert.objects.filter(pk=alert.pk).update(email_status="pending", email_error=message)
            send_alert_email.enqueue(alert.pk)  # an immediate backend retries at once
        logger.warning(
            "Alert email %s failed (attempt %s), retrying", alert.pk, alert.email_attempts
        )
        return "retrying"
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk).update(email_status="failed", email_error=message)
        record(
            action="alert.email_failed",
            actor=None,
            school=alert.school,
            obj=alert.recipient,
            detail={"alert": alert.pk, "attempts": alert.email_attempts, "error": message},
        )
    logger.error("Alert email %s failed after %s attempts", alert.pk, alert.email_attempts)
    return "failed"
