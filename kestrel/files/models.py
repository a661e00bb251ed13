"""Files attached to incidents and actions: stored outside the web root under generated names."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from kestrel.schools.models import SchoolOwned


class Attachment(SchoolOwned):
    """An uploaded file. It is uploaded as soon as it is dropped on the form, before the incident
    exists, and belongs to that form (its submission key) until the incident or action is saved."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attachments"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    action = models.ForeignKey(
        "incidents.Action",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"File {self.pk}"
