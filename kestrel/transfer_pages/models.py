"""The download-link route of a transfer: a child's file sent to a school without Kestrel.

The receiving DSL gets a link by email, valid for 14 days; it opens only with a one-time code
sent to the same address in a separate email. Once the code is right, the browser that gave it
holds a grant for the link (its secret in the session, only its hash here); the DSL names
themselves, downloads the PDF and the ZIP of attached files (each download recorded with the
name they gave) and confirms receipt. Tokens, codes and grant secrets are stored only as hashes;
the token and code wait encrypted until their email is sent, then are forgotten.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from kestrel.schools.models import SchoolOwned


class TransferLink(SchoolOwned):
    """One download link for one transfer, to one email address."""

    transfer = models.ForeignKey(
        "transfers.Transfer", on_delete=models.PROTECT, related_name="links"
    )
    export = models.ForeignKey("exports.ExportRequest", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField("Their DSL's email address")
    recipient_name = models.CharField("Their name", max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256 of the link's token
    # The token, encrypted (kestrel.encryption) until the link's email is sent, then emptied.
    token_sealed = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    opened_count = models.PositiveIntegerField(default=0)
    codes_sent = models.PositiveIntegerField(default=0)
    wrong_codes = models.PositiveIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)  # after too many wrong codes
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Receipt confirmed at this link, by the person who named themselves.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_name = models.CharField(max_length=200, blank=True)
    confirmed_role = models.CharField(max_length=200, blank=True)
    confirmed_school = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "transfer", "-created_at"])]

    def __str__(self) -> str:
        # Never the child's name: this label goes into the audit trail.
        return f"Download link {self.pk}"

    def refusal(self, now=None) -> str:
        """Why the link no longer opens ("withdrawn", "locked", "expired"), or "" while live."""
        now = now or timezone.now()
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.locked_at is not None:
            return "locked"
        if self.expires_at <= now:
            return "expired"
        return ""

    @property
    def is_live(self) -> bool:
        return not self.refusal()

    @property
    def status(self) -> str:
        """As the sender's transfer page shows it."""
        refusal = self.refusal()
        if refusal == "withdrawn":
            return "Withdrawn"
        if refusal == "locked":
            return "Locked after too many wrong codes"
        if refusal == "expired":
            return "Expired"
        if self.confirmed_at is not None:
            return "Receipt confirmed"
        if self.emailed_at is None:
            return "Being emailed"
        return "Open"


class LinkCode(models.Model):
    """A one-time code to open a link: 30 minutes, once, and only the newest one sent."""

    link = models.ForeignKey(TransferLink, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)  # keyed hash (salted_hmac) of the link and code
    code_sealed = models.TextField(blank=True)  # encrypted until emailed, then emptied
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)  # a newer code was sent

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["link", "-created_at"])]

    def __str__(self) -> str:
        return f"Code {self.pk}"


class LinkGrant(models.Model):
    """A browser that gave the right code may use the link for a while: the session holds the
    grant's secret, this row its hash and the name the person gave."""

    link = models.ForeignKey(TransferLink, on_delete=models.CASCADE, related_name="grants")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    name = models.CharField("Full name", max_length=200, blank=True)
    role = models.CharField("Your role", max_length=200, blank=True)
    school_name = models.CharField("School", max_length=200, blank=True)
    named_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Grant {self.pk}"


class Download(models.TextChoices):
    PDF = "pdf", "the file (PDF)"
    FILES = "files", "the attached files (ZIP)"


class LinkDownload(models.Model):
    """One download through a link, with the name the person gave (the sender sees them)."""

    link = models.ForeignKey(TransferLink, on_delete=models.CASCADE, related_name="downloads")
    grant = models.ForeignKey(LinkGrant, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=10, choices=Download.choices)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    school_name = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Download {self.pk}"
