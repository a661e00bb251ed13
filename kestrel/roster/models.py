"""An import of the school's roster: the file as uploaded (encrypted, until it has been checked),
the preview it gives (one row per student or colleague who would change), and what was applied.

What the administrator sees in the preview is what is applied: the apply task works through the
preview's rows, not the file again, and leaves out a row whose student changed since (see
kestrel.roster.pupils).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from kestrel.schools.models import SchoolOwned


class Kind(models.TextChoices):
    STUDENTS = "students", "Students"
    STAFF = "staff", "Staff"


class State(models.TextChoices):
    COLUMNS = "columns", "Waiting for the columns to be matched"
    CHECKING = "checking", "Checking the file"
    PREVIEW = "preview", "Ready to confirm"
    APPLYING = "applying", "Importing"
    DONE = "done", "Imported"
    REFUSED = "refused", "Refused"
    CANCELLED = "cancelled", "Cancelled"


class RosterImport(SchoolOwned):
    """One file an administrator (or the nightly command) imported, from upload to done."""

    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    file_name = models.CharField(max_length=200)
    file_format = models.CharField(max_length=40, blank=True)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    # "This file lists every student on roll": only then are those absent from it leaving.
    whole_roster = models.BooleanField(default=False)
    headers = models.JSONField(default=list, blank=True)
    # Column index (as text: JSON keys) -> field name, as the columns screen settled it.
    mapping = models.JSONField(default=dict, blank=True)
    source_school = models.CharField(max_length=200, blank=True)  # a CTF's sending school
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Counts by outcome: new, changed, leaving, unchanged, refused, held (and, once applied,
    # applied and skipped).
    counts = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)  # why the file was refused, for the administrator
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    leave_out_refused = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["school", "kind", "-uploaded_at"])]

    def __str__(self) -> str:
        return f"Import {self.pk}"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def is_open(self) -> bool:
        """Still to confirm (or still being checked): it may be cancelled."""
        return self.state in {State.COLUMNS, State.CHECKING, State.PREVIEW}

    @property
    def is_working(self) -> bool:
        return self.state in {State.CHECKING, State.APPLYING}


class UploadChunk(models.Model):
    """The uploaded file, in encrypted pieces, until the preview has been made from it; then
    deleted. Kept in the database, not on a disk, so that a worker on another machine can read
    it."""

    roster_import = models.ForeignKey(RosterImport, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    data = models.TextField()  # Fernet token (kestrel.encryption)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["roster_import", "position"], name="roster_chunk_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"Piece {self.position} of import {self.roster_import_id}"


class Outcome(models.TextChoices):
    NEW = "new", "New"
    CHANGED = "changed", "Changed"
    LEAVING = "leaving", "Leaving"
    HELD = "held", "To confirm"
    REFUSED = "refused", "Refused"


class Decision(models.TextChoices):
    """For a row held because it matched only on name and date of birth."""

    UNDECIDED = "", "Not decided"
    SAME = "same", "The same person"
    NEW = "new", "A different person"


class RosterRow(models.Model):
    """One row of the preview: a joiner, a change, a leaver, a row held for the administrator to
    decide, or a refused row with its reason. Unchanged rows are only counted."""

    roster_import = models.ForeignKey(RosterImport, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField()  # the row number in the file (0 for a leaver)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # The student or colleague it matched: a change, a leaver, or the one a held row may be.
    student = models.ForeignKey(
        "students.Student", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    values = models.JSONField(default=dict, blank=True)  # the row's cleaned values
    changes = models.JSONField(default=dict, blank=True)  # field -> [old, new]
    reason = models.TextField(blank=True)  # why a row was refused or held
    decision = models.CharField(
        max_length=4, choices=Decision.choices, default=Decision.UNDECIDED, blank=True
    )
    applied = models.BooleanField(default=False)
    skipped = models.TextField(blank=True)  # why a row was not applied after all

    class Meta:
        ordering = ["roster_import", "outcome", "row", "id"]
        indexes = [models.Index(fields=["roster_import", "outcome", "row"])]

    def __str__(self) -> str:
        return f"Row {self.row} of import {self.roster_import_id}"


class RememberedColumns(SchoolOwned):
    """How a school's files name their columns, as its administrator matched them: the next file
    with the same headers needs no columns screen."""

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Normalised header -> field name ("" for a column the school never imports).
    columns = models.JSONField(default=dict)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "kind"], name="roster_columns_unique_kind")
        ]

    def __str__(self) -> str:
        return f"Remembered {self.kind} columns"
