"""Alerting colleagues (the one way alerts are made and their emails queued) and marking
alerts as read."""

import datetime

from django.db import transaction
from django.tasks import Task
from django.utils import timezone

from kestrel.access.policies import Viewer, check
from kestrel.alerts.models import Alert
from kestrel.alerts.tasks import queue_alert_emails
from kestrel.audit.services import record


def alert_colleagues(
    *,
    actor,
    incident,
    action=None,
    recipients,
    request=None,
    at: datetime.datetime | None = None,
    then: tuple[Task, list] | None = None,
) -> list[Alert]:
    """Alerts colleagues of the incident's school (never the actor, never a deactivated account)
    about `incident`, or its `action`: the alerts (one statement), an "alert.sent" audit event
    each, and their emails queued by the one route (`queue_alert_emails`), all in the caller's
    transaction. `then` is a task the worker runs with the emails' (see `queue_alert_emails`).

    Called inside the caller's `recorded_together()`, its events are written with the
    caller's own, in one write."""
    # The policy check for alerting (issue 18, item 1) belongs here, before anything is made.
    people = {
        user.pk: user
        for user in recipients
        if user.school_id == incident.school_id and user.pk != actor.pk and user.is_active
    }
    with transaction.atomic(savepoint=False):
        alerts = Alert.objects.bulk_create(
            Alert(
                school_id=incident.school_id,
                incident=incident,
                action=action,
                recipient=user,
                sender=actor,
                created_at=at or timezone.now(),
            )
            for user in people.values()
        )
        for alert in alerts:
            record(
                action="alert.sent",
                actor=actor,
                request=request,
                obj=incident,
                student=incident.student,
                detail={
                    "recipient": alert.recipient_id,
                    "recipient_name": alert.recipient.full_name,
                    "action": action.pk if action else None,
                },
            )
        queue_alert_emails([alert.pk for alert in alerts], then=then)
    return alerts


def send_again(*, actor, alert: Alert, request=None) -> None:
    """School set-up's "Send again": the alert's email is waiting again, with no attempts and no
    error, and queued by the same route as a new alert's."""
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk).update(
            email_status="pending", email_attempts=0, email_error=""
        )
        record(action="alert.email_retried", actor=actor, request=request, obj=alert.recipient)
        queue_alert_emails([alert.pk])


def mark_as_read(*, actor, alert: Alert, request=None) -> Alert:
    """The guide's "mark as read": the alert leaves the Dashboard and the time is kept."""
    check(Viewer.acting(actor, request), "alert", "mark_as_read", alert)
    now = timezone.now()
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, recipient=actor, read_at__isnull=True).update(
            read_at=now
        )
        if not updated:  # read already, perhaps in another tab: keep the first time
            alert.refresh_from_db(fields=["read_at"])
        else:
            alert.read_at = now
            record(
                action="alert.read",
                actor=actor,
                request=request,
                obj=alert.incident,
                student=alert.incident.student,
                detail={"alert": alert.pk},
            )
    return alert


def record_dashboard_viewed(*, request, page: int, alerts, overdue, history, encompass=()) -> None:
    """The Dashboard showed children: the alerts, overdue alerts and history entries (ids), and
    the incidents of late Operation Encompass notifications."""
    detail = {
        "page": page,
        "alerts": [alert.pk for alert in alerts],
        "overdue": [alert.pk for alert, _ in overdue],
        "history": [[kind, incident.pk] for kind, _, incident in history],
    }
    if encompass:
        detail["encompass"] = list(encompass)
    record(action="dashboard.viewed", request=request, detail=detail)
