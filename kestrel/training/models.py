"""The staff training log: the training a school requires of whom and how often, the training
each member of staff has done (with its certificate), imports of past records from a file, and
the reminders sent.

KCSIE 2025: all staff have safeguarding and child protection training at induction, updated
regularly and at least annually (paragraphs 124-126); the DSL and deputies have formal training
every two years and refresh their knowledge at least annually (Annex C). Each school sets its
own requirements to match (School set-up, Training requirements).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from kestrel.schools.models import Retirable, SchoolOwned


class AppliesTo(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    DSL_TEAM = "dsl_team", "The DSL team (key holders)"
    JOB_TITLES = "job_titles", "Staff with certain job titles"
    ALERT_GROUP = "alert_group", "The members of an alert group"


class Requirement(SchoolOwned, Retirable):
    """Training the school requires of some or all staff, and how often it is renewed."""

    name = models.CharField(
        "Training",
        max_length=120,
        help_text="As staff know it, for example “Safeguarding and child protection update”.",
    )
    applies_to = models.CharField(
        "Who must do it", max_length=20, choices=AppliesTo.choices, default=AppliesTo.EVERYONE
    )
    job_titles = models.TextField(
        "Job titles",
        blank=True,
        help_text="With “Staff with certain job titles”: one a line. A job title that contains "
        "one of them counts (“Class teacher” includes “Class teacher, 1B”); capital letters "
        "make no difference.",
    )
    alert_group = models.ForeignKey(
        "alerts.AlertGroup",
        verbose_name="Alert group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="With “The members of an alert group”.",
    )
    renewal_months = models.PositiveSmallIntegerField(
        "Renew every (months)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="12 for yearly, 24 for every two years. Leave empty for training done once.",
    )
    induction_days = models.PositiveSmallIntegerField(
        "New staff do it within (days of joining)",
        default=30,
        validators=[MaxValueValidator(730)],
        help_text="When it is due for someone who has never done it: counted from the day they "
        "joined the school. 0 for on their first day.",
    )
    due_soon_days = models.PositiveSmallIntegerField(
        "Show as due soon (days before)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="From this many days before it is due, it is listed as due soon and the "
        "member of staff is reminded by email.",
    )
    other_names = models.TextField(
        "Other names for this training",
        blank=True,
        help_text="Course names in an imported file that count as this training, one a line.",
    )

    class Meta:
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint("school", Lower("name"), name="requirement_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def names(self) -> list[str]:
        """Its name and other names, as an imported course is compared (see `course_key`)."""
        return [self.name, *(line for line in self.other_names.splitlines() if line.strip())]

    def title_words(self) -> list[str]:
        return [line.strip().casefold() for line in self.job_titles.splitlines() if line.strip()]


def course_key(name: str) -> str:
    """A course name as compared: capital letters and spacing make no difference."""
    return " ".join(name.casefold().split())


class JoiningDate(SchoolOwned):
    """The day a member of staff joined the school: training "at induction" is due from it.
    Without one, the day their Kestrel account was made is used."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="joining_date",
    )
    joined_on = models.DateField("Joined the school on")

    def __str__(self) -> str:
        return f"joined on {self.joined_on:%Y-%m-%d}"


class TrainingImport(SchoolOwned):
    """Training records from a file: a preview the administrator or DSL confirms or cancels.
    Its rows are kept as read (refused rows with their reason and every cell), so nothing in the
    file is lost."""

    class State(models.TextChoices):
        PREVIEW = "preview", "Waiting to be confirmed"
        DONE = "done", "Imported"
        CANCELLED = "cancelled", "Cancelled"

    state = models.CharField(max_length=10, choices=State.choices, default=State.PREVIEW)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=40, blank=True)
    headers = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    counts = models.JSONField(default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"training import {self.pk}"


class TrainingRecord(SchoolOwned):
    """Training a member of staff has done: a course on a date, from a provider. Never deleted:
    one recorded by mistake is removed with a reason, and no longer counts."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records"
    )
    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
        help_text="The requirement it meets; none for other training.",
    )
    course = models.CharField("Course", max_length=200)
    completed_on = models.DateField("Date completed")
    provider = models.CharField("Provider", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        TrainingImport, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            # The same course on the same day is one record: importing a file again adds nothing.
            models.UniqueConstraint(
                "staff",
                Lower("course"),
                "completed_on",
                condition=models.Q(removed_at__isnull=True),
                name="trainingrecord_unique_course_day",
            )
        ]
        indexes = [models.Index(fields=["staff", "requirement", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.course} on {self.completed_on:%-d %B %Y}"


class Certificate(SchoolOwned):
    """A training record's certificate, encrypted at rest (kestrel.files.encrypted): it names a
    member of staff and is personal data."""

    record = models.OneToOneField(
        TrainingRecord, on_delete=models.PROTECT, primary_key=True, related_name="certificate"
    )
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"certificate of training record {self.record_id}"


class Reminder(SchoolOwned):
    """An email reminding a member of staff of training due soon or overdue: one per due date
    and stage, whoever runs the round and however often."""

    class Stage(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_reminders"
    )
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    stage = models.CharField(max_length=10, choices=Stage.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "requirement", "due_on", "stage"], name="reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} reminder for {self.due_on:%Y-%m-%d}"


class ReminderRound(SchoolOwned):
    """The reminder round of one school on one day (and the weekly summary of one week): the
    worker runs the round once, however often it looks."""

    key = models.CharField(max_length=20)  # "2026-11-16" for a day, "week-2026-47" for a week
    ran_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "key"], name="reminderround_once")]

    def __str__(self) -> str:
        return f"training reminders {self.key}"
