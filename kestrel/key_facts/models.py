"""A child's key facts, the front sheet of their case file: contacts (people with parental
responsibility first), professionals involved, and free notes.

Nothing here is overwritten. A contact or professional is one row that never changes (which
child, when first recorded) and a version for each change: the new values, who made the change
and when. The current facts are each one's newest version. A contact or professional who is no
longer involved gets a last version marked ended, with the reason: they stay in the history. The
notes are versions of one text per child. An edit names the version it started from, so that a
change someone else saved meanwhile is shown to the editor instead of overwritten unseen.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kestrel.schools.models import SchoolOwned


class Change(SchoolOwned):
    """One saved change: its number (1, 2, ... for each contact, professional or notes) and who
    made it. `changed_by_label` keeps their name and job title as they were then."""

    number = models.PositiveIntegerField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_by_label = models.CharField(max_length=300)
    changed_at = models.DateTimeField(default=timezone.now)

    # The fields a change may alter, in the order the pages show them.
    FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def label(cls, field: str) -> str:
        return str(cls._meta.get_field(field).verbose_name)

    def shown(self, field: str) -> str:
        """The value of `field` as the pages show it: "Yes" or "No", a role's name, the text."""
        value = getattr(self, field)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        display = getattr(self, f"get_{field}_display", None)
        return str(display() if display else value)


class Endable(models.Model):
    """A contact's or professional's version that says they are no longer involved, and why."""

    ended = models.BooleanField("No longer involved", default=False)
    end_reason = models.TextField("Why they are no longer involved", blank=True)

    class Meta:
        abstract = True


class Contact(SchoolOwned):
    """A parent, carer or other person to contact about the child. The values are in its
    versions; this row says only whose contact it is and since when."""

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        # No name or number: the audit trail keeps this label, and holds no content.
        return f"Contact {self.pk}"


class ContactVersion(Change, Endable):
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="versions")
    name = models.CharField("Name", max_length=200)
    relationship = models.CharField("Relationship to the child", max_length=100)
    parental_responsibility = models.BooleanField("Has parental responsibility", default=False)
    phone = models.CharField("Phone", max_length=40, blank=True)
    address = models.TextField("Address", blank=True)
    email = models.EmailField("Email", blank=True)
    do_not_contact = models.BooleanField("Do not contact", default=False)
    do_not_contact_reason = models.TextField("Reason not to contact", blank=True)
    priority = models.PositiveSmallIntegerField("Order to contact", default=1)

    FIELDS = (
        "name",
        "relationship",
        "parental_responsibility",
        "phone",
        "address",
        "email",
        "do_not_contact",
        "do_not_contact_reason",
        "priority",
        "ended",
        "end_reason",
    )

    class Meta:
        ordering = ["contact", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "number"], name="contactversion_unique"),
            models.CheckConstraint(
                condition=Q(do_not_contact=False) | ~Q(do_not_contact_reason=""),
                name="contactversion_do_not_contact_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(ended=False) | ~Q(end_reason=""), name="contactversion_end_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} version {self.number}"


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Social worker"
    VIRTUAL_SCHOOL_HEAD = "virtual_school_head", "Virtual school head"
    LEAD_PROFESSIONAL = "lead_professional", "Lead professional"
    EARLY_HELP_WORKER = "early_help_worker", "Early help worker"
    OTHER = "other", "Other"


class Professional(SchoolOwned):
    """A professional involved with the child; the values are in its versions."""

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Professional {self.pk}"


class ProfessionalVersion(Change, Endable):
    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, related_name="versions"
    )
    role = models.CharField("Role", max_length=30, choices=Role.choices)
    other_role = models.CharField("Their role", max_length=100, blank=True)
    name = models.CharField("Name", max_length=200)
    organisation = models.CharField("Organisation", max_length=200, blank=True)
    phone = models.CharField("Phone", max_length=40, blank=True)
    email = models.EmailField("Email", blank=True)

    FIELDS = ("role", "other_role", "name", "organisation", "phone", "email", "ended", "end_reason")

    class Meta:
        ordering = ["professional", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "number"], name="professionalversion_unique"
            ),
            models.CheckConstraint(
                condition=~Q(role="other") | ~Q(other_role=""),
                name="professionalversion_other_role_named",
            ),
            models.CheckConstraint(
                condition=Q(ended=False) | ~Q(end_reason=""),
                name="professionalversion_end_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.professional} version {self.number}"

    @property
    def role_label(self) -> str:
        return self.other_role if self.role == Role.OTHER else self.get_role_display()


class NotesVersion(Change):
    """The child's free notes as one change left them."""

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="+")
    text = models.TextField("Notes", blank=True)

    FIELDS = ("text",)

    class Meta:
        ordering = ["student", "number"]
        constraints = [
            models.UniqueConstraint(fields=["student", "number"], name="notesversion_unique"),
        ]

    def __str__(self) -> str:
        return f"Notes version {self.number}"
