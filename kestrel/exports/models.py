"""A whole-file export of one child: asked for by a key holder, made by a task, kept encrypted
until downloaded."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from kestrel.schools.models import SchoolOwned


class State(models.TextChoices):
    WAITING = "waiting", "Waiting to start"
    WORKING = "working", "Being made"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Could not be made"


class ExportRequest(SchoolOwned):
    """One PDF of a child's whole file (or its redacted variant), for the key holder who asked.
    The PDF is stored through Django's storage encrypted with the field keys
    (kestrel.encryption): a copy of the file at rest is no more readable than the database."""

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Other children's names starred (as Hide Names does), for sharing outside the school.
    redacted = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    stored_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)  # of the PDF, before encryption
    sha256 = models.CharField(max_length=64, blank=True)  # of the PDF
    pages = models.PositiveIntegerField(default=0)
    # The attached files in a ZIP beside the PDF (the whole file only: a redacted export's files
    # could not be starred), stored as the PDF is.
    files_stored_name = models.CharField(max_length=200, blank=True)
    files_size = models.PositiveBigIntegerField(default=0)
    files_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Kept past KEPT_FOR until then: a transfer's download link is open (kestrel.transfer_pages).
    kept_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "student", "requested_by", "-created_at"])]

    def __str__(self) -> str:
        # Never the child's name: this label goes into the audit trail.
        return f"Export {self.pk}"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def status(self) -> str:
        """As the export page lists it."""
        if self.state == State.DONE and not self.stored_name:
            return "made, and deleted since"
        return self.get_state_display().lower()

    @property
    def is_working(self) -> bool:
        return self.state in {State.WAITING, State.WORKING}
