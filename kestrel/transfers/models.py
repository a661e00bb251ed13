"""A child's file leaving with the child, and a file arriving from the child's last school.

KCSIE (2025, paragraphs 130-132 and Annex C): when a child leaves, the DSL sends the child
protection file to the new school's DSL within 5 school days (in year) or within the first 5 days
of the new term, separately from the main pupil file, securely, and obtains confirmation of
receipt. A `Transfer` is that duty for one leaver: due when the child is marked as left, sent by one
of three routes, confirmed only by the receiving DSL, chased when no receipt comes. A leaver with
no known destination keeps the file and gets the local authority told instead.

A `Received` is a file that arrived from another school on Kestrel: matched to a student by UPN
(never by name alone), or held for a key holder until matched; its records join the child's
chronology read-only, labelled with the school they came from.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from kestrel.schools.models import SchoolOwned


class Destination(models.TextChoices):
    SCHOOL = "school", "Another school"
    MISSING = "missing", "Missing education (whereabouts not known)"
    HOME = "home", "Home educated (elective home education)"
    ABROAD = "abroad", "Moved abroad"
    UNKNOWN = "unknown", "Not known yet"


# Leavers whose file stays here, the local authority told instead (Working Together 2023,
# children missing education; KCSIE paragraph 175).
NO_DESTINATION = {Destination.MISSING, Destination.HOME, Destination.ABROAD}


class Route(models.TextChoices):
    KESTREL = "kestrel", "To a school on Kestrel"
    LINK = "link", "By a download link and a one-time code"
    PAPER = "paper", "On paper, with a receipt slip"


class State(models.TextChoices):
    NEEDS_DESTINATION = "needs_destination", "Destination to be recorded"
    DUE = "due", "To send"
    SENT = "sent", "Sent, awaiting receipt"
    RECEIVED = "received", "Receipt confirmed"
    # The receiving school on Kestrel refused it (not their pupil): to be sent again, once the
    # destination is checked (kestrel.transfers.services.record_refusal, set_destination).
    REFUSED = "refused", "Refused by the receiving school"
    INFORM = "inform", "Local authority to be told"
    INFORMED = "informed", "Local authority told"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = (State.NEEDS_DESTINATION, State.DUE, State.SENT, State.INFORM, State.REFUSED)


class CopyPolicy(models.TextChoices):
    KEEP_ALL = "keep_all", "Keep the whole file"
    KEEP_CHRONOLOGY = "keep_chronology", "Keep the chronology only, for a set time"
    KEEP_NONE = "keep_none", "Keep no copy"


class Transfer(SchoolOwned):
    """One leaver's file on its way to the next school (or, with no destination, kept here while
    the local authority is told). The transfer log: date sent, sender, date acknowledged and
    acknowledger."""

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DUE)
    left_on = models.DateField("Date left")
    destination = models.CharField(
        "Where the child has gone", max_length=10, choices=Destination.choices
    )
    destination_name = models.CharField("School name", max_length=200, blank=True)
    destination_urn = models.CharField("School URN", max_length=8, blank=True)
    destination_email = models.EmailField("Their DSL's email address", blank=True)
    # A school on Kestrel: one of this installation's (`destination_school`) or another
    # installation's address (`destination_address`, its SITE_URL).
    destination_school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destination_address = models.URLField("Their Kestrel address", blank=True)
    due_on = models.DateField("Due")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_how = models.CharField(max_length=20, default="by_hand")  # by_hand, roster, tidy
    created_at = models.DateTimeField(default=timezone.now)

    # Sent.
    route = models.CharField(max_length=10, choices=Route.choices, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_by_name = models.CharField(max_length=200, blank=True)
    sent_how = models.CharField(max_length=200, blank=True)  # on paper: by hand, post, ...
    export = models.ForeignKey(
        "exports.ExportRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    package_sha256 = models.CharField(max_length=64, blank=True)
    chase_on = models.DateField(null=True, blank=True)  # 5 school days after sending
    chased_at = models.DateTimeField(null=True, blank=True)  # the sending DSL emailed

    # Receipt, confirmed only by the receiving DSL.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by_name = models.CharField(max_length=200, blank=True)
    acknowledged_by_role = models.CharField(max_length=200, blank=True)
    acknowledged_how = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The sender's own copy, under the school's policy as it was when the file was sent.
    copy_policy = models.CharField(max_length=20, choices=CopyPolicy.choices, blank=True)
    copy_kept_until = models.DateField(null=True, blank=True)
    copy_done_on = models.DateField(null=True, blank=True)
    copy_note = models.TextField(blank=True)
    copy_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # No destination: the local authority (and any social worker) told.
    informed_on = models.DateField("Date told", null=True, blank=True)
    informed_whom = models.TextField("Who was told, and how", blank=True)
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    cancelled_reason = models.CharField(max_length=300, blank=True)

    # Refused by the receiving school on Kestrel (its signed answer): kept after the file is sent
    # again, so the refused sending stays on the record. The reason is the receiving DSL's words.
    refused_at = models.DateTimeField(null=True, blank=True)
    refused_by_name = models.CharField(max_length=200, blank=True)
    refused_by_role = models.CharField(max_length=200, blank=True)
    refused_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=models.Q(
                    state__in=["needs_destination", "due", "sent", "inform", "refused"],
                ),
                name="transfer_one_open_per_student",
            )
        ]
        indexes = [models.Index(fields=["school", "state", "due_on"])]

    def __str__(self) -> str:
        # Never the child's name: this label goes into the audit trail.
        return f"Transfer {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def to_school(self) -> bool:
        return self.destination == Destination.SCHOOL

    @property
    def reference(self) -> str:
        """The transfer's reference, on the receipt slip and in emails: no child named."""
        return f"T-{self.school_id}-{self.pk}"

    @property
    def destination_label(self) -> str:
        if self.destination == Destination.SCHOOL:
            return self.destination_name or "Another school"
        return self.get_destination_display()


class ReceivedState(models.TextChoices):
    HELD = "held", "Held: no student matched"
    WAITING = "waiting", "Waiting to be accepted"
    ACCEPTED = "accepted", "Accepted"
    REFUSED = "refused", "Refused"


class Received(SchoolOwned):
    """A child's file sent to this school from another school on Kestrel: its package checked
    (signature, then decrypted), matched by UPN or former UPN, accepted by a key holder (the
    receipt goes back to the sender), and reviewed."""

    state = models.CharField(
        max_length=10, choices=ReceivedState.choices, default=ReceivedState.WAITING
    )
    student = models.ForeignKey(
        "students.Student", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    schema_version = models.PositiveSmallIntegerField(default=1)
    # The sender, as its package (signed) says.
    from_school_name = models.CharField(max_length=200)
    from_school_urn = models.CharField(max_length=8, blank=True)
    from_address = models.URLField(blank=True)
    from_transfer = models.CharField(max_length=64)  # the sender's reference for its transfer
    sent_by_name = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Who the file is about, as the package says (shown to key holders to match a held file).
    child_name = models.CharField(max_length=200)
    child_date_of_birth = models.DateField(null=True, blank=True)
    child_upn = models.CharField(max_length=13, blank=True)
    child_former_upns = models.CharField(max_length=200, blank=True)
    # The package, encrypted at rest (kestrel.exports.storage), and its digest.
    stored_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    records = models.PositiveIntegerField(default=0)

    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt_sent_at = models.DateTimeField(null=True, blank=True)  # the sender told
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField("What you found and what you did", blank=True)
    refused_reason = models.CharField(max_length=300, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "from_address", "from_transfer"],
                name="received_once_per_sent_transfer",
            )
        ]
        indexes = [models.Index(fields=["school", "state"])]

    def __str__(self) -> str:
        return f"Received file {self.pk}"


class SchoolKeys(SchoolOwned):
    """A school's keys for sending and receiving children's files between Kestrels
    (kestrel.transfer_pages.crypto): an Ed25519 key pair that signs what the school sends (a
    package, a receipt) and an X25519 key pair that packages for the school are encrypted to.
    Made the first time they are needed; the public halves are published at
    /transfers/keys/<urn>/, the private halves kept encrypted with the field keys
    (kestrel.encryption), so a copy of the database alone cannot open or forge a package."""

    signing_public = models.CharField(max_length=64)  # raw 32 bytes, base64
    signing_private = models.TextField()  # raw 32 bytes, encrypted (a Fernet token)
    encryption_public = models.CharField(max_length=64)
    encryption_private = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school"], name="schoolkeys_one_per_school")]

    def __str__(self) -> str:
        return f"Keys of school {self.school_id}"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Not sent"


class KestrelDelivery(SchoolOwned):
    """One attempt to send a leaver's file to a school on Kestrel: asked for by the DSL once they
    have seen the receiving school's name (and, for another Kestrel, its keys), carried out by a
    task. A failure keeps its reason for the transfer page, where the DSL can try again."""

    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="kestrel_deliveries"
    )
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # The receiving school as the DSL confirmed it: its name as its Kestrel gave it, and (another
    # Kestrel) the keys seen then: the package goes only to those.
    to_name = models.CharField(max_length=200)
    to_urn = models.CharField(max_length=8, blank=True)
    to_address = models.URLField(blank=True)  # empty: a school of this installation
    to_signing_key = models.CharField(max_length=64, blank=True)
    to_encryption_key = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)  # why it was not sent
    package_sha256 = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["school", "transfer", "-requested_at"])]

    def __str__(self) -> str:
        return f"Delivery {self.pk}"

    # A delivery still queued or sending this long after it was asked for was lost with its
    # worker (the task queue gives up on a task whose worker keeps dying): it may be tried again.
    LOST_AFTER = datetime.timedelta(hours=2)

    @property
    def is_lost(self) -> bool:
        return (
            self.state in {DeliveryState.QUEUED, DeliveryState.SENDING}
            and self.requested_at < timezone.now() - self.LOST_AFTER
        )

    @property
    def is_working(self) -> bool:
        return self.state in {DeliveryState.QUEUED, DeliveryState.SENDING} and not self.is_lost
