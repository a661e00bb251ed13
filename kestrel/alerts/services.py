"""Marking alerts as read."""

from django.db import transaction
from django.utils import timezone

from kestrel.alerts.models import Alert
from kestrel.audit.services import record


def mark_as_read(*, actor, alert: Alert, request=None) -> Alert:
    """The guide's "mark as read": the alert leaves the Dashboard and the time is kept."""
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
