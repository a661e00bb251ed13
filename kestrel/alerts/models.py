"""Alert groups, and the alerts that tell staff about incidents and actions."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from kestrel.schools.models import Retirable, SchoolOwned


class AlertGroup(SchoolOwned, Retirable):
    """A named group of staff ("SLT", "DSL team") who can be alerted with one button."""

    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="alert_groups", blank=True
    )

    class Meta:
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint("school", Lower("name"), name="alertgroup_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Alert(SchoolOwned):
    """A colleague alerted to an incident (or to an action on it), until they mark it as read."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="alerts"
    )
    action = models.ForeignKey(
        "incidents.Action", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The email that tells the colleague to sign in (kestrel.alerts.tasks): sent by the worker
    # after the incident's transaction commits, claimed by compare-and-set, retried with backoff.
    email_status = models.CharField(
        max_length=10,
        default="pending",
        choices=[
            ("pending", "Waiting to be sent"),
            ("sending", "Being sent"),
            ("sent", "Sent"),
            ("failed", "Failed"),
        ],
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "recipient"]),
            models.Index(fields=["school", "email_status"]),
            # The alert sweep (every 30 s): only emails not yet delivered, which stay few.
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_status__in=["pending", "sending"]),
                name="alert_email_undelivered",
            ),
            # The DSL team's overdue alerts: only unread rows, which stay few as alerts are read.
            models.Index(
                fields=["school", "created_at"],
                condition=models.Q(read_at__isnull=True),
                name="alert_unread_in_school",
            ),
            # Each person's unread alerts, newest first (the Dashboard, "next alert"): read
            # straight off the index, however many alerts the school has.
            models.Index(
                fields=["school", "recipient", "-created_at", "-id"],
                condition=models.Q(read_at__isnull=True),
                name="alert_unread_by_recipient",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "recipient"],
                condition=models.Q(action__isnull=True),
                name="alert_once_per_incident",
            ),
            models.UniqueConstraint(
                fields=["action", "recipient"],
                condition=models.Q(action__isnull=False),
                name="alert_once_per_action",
            ),
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk}"
