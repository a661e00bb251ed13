"""The Library: documents and guidance the DSL publishes for staff, with versions and a record of
who has read each policy."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from kestrel.schools.models import Retirable, SchoolOwned


class LibraryCategory(SchoolOwned, Retirable):
    name = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["school", "position", "name"]
        verbose_name_plural = "library categories"
        constraints = [
            models.UniqueConstraint("school", Lower("name"), name="librarycategory_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Document(SchoolOwned, Retirable):
    category = models.ForeignKey(
        LibraryCategory, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    is_policy = models.BooleanField(
        "Staff must confirm they have read it",
        default=False,
        help_text="For policies: each member of staff records that they have read each version.",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """One uploaded version. Versions are never replaced: a new one is added."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    notes = models.CharField("What changed", max_length=300, blank=True)
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class ReadRecord(models.Model):
    """A member of staff confirmed they have read this version of a policy."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="reads")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "reader"], name="read_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.reader} read {self.version}"
