"""Alert groups (and, from issue 6, the alerts sent to staff)."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

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
