"""The school and the configuration a school administrator keeps: access levels and agencies.

Every record in Kestrel belongs to a school, so that one installation can serve a whole trust.
Configuration that records refer to is never deleted: it is retired (`is_active = False`).
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from kestrel.schools.scope import school_scoped


class Trust(models.Model):
    """A multi-academy trust: schools it runs share its safeguarding lead (kestrel.accounts:
    TrustRole) and may share staff (SchoolMembership). Set up by the installation's operator
    (`manage.py trust`)."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    name = models.CharField(max_length=200)
    # A school may stand alone (no trust).
    trust = models.ForeignKey(
        Trust, on_delete=models.PROTECT, null=True, blank=True, related_name="schools"
    )
    time_zone = models.CharField(max_length=64, default="Europe/London")
    require_two_factor = models.BooleanField(
        "Require two-factor sign-in for everyone",
        default=True,
        help_text="Staff who have not set up an authenticator are taken to set it up after "
        "signing in.",
    )
    key_unlock_minutes = models.PositiveSmallIntegerField(
        "Key access lasts (minutes)",
        default=30,
        validators=[MinValueValidator(1)],
        help_text="How long a key holder's unlock lasts before they must use their key again.",
    )
    escalation_school_days = models.PositiveSmallIntegerField(
        "Flag unread alerts to the DSL team after (school days)",
        default=1,
        validators=[MinValueValidator(1)],
        help_text="An alert to a Designated Safeguarding Lead that is still unread after this "
        "many school days (the school’s term dates, less bank holidays, half terms and INSET "
        "days) is flagged on the DSL team’s Dashboard.",
    )
    # Whose bank holidays are not school days (GOV.UK's divisions; kestrel.school_calendar).
    bank_holidays = models.CharField(
        "Bank holidays",
        max_length=20,
        choices=[
            ("england-and-wales", "England and Wales"),
            ("scotland", "Scotland"),
            ("northern-ireland", "Northern Ireland"),
        ],
        default="england-and-wales",
        db_default="england-and-wales",
        help_text="The bank holidays that are not school days.",
    )
    # The DfE's Unique Reference Number: how another Kestrel finds this school to send a child's
    # file to it (kestrel.transfers).
    urn = models.CharField(
        "URN",
        max_length=8,
        blank=True,
        default="",
        db_default="",
        help_text="The school's Unique Reference Number (6 digits, on Get Information about "
        "Schools). Schools sending a child's file to this school on Kestrel find it by it.",
    )
    # What the school keeps of a child's file once it has been sent to the next school and its
    # receipt confirmed (kestrel.transfers; KCSIE leaves this to the school's retention policy).
    transfer_copy_policy = models.CharField(
        "After a file is sent to the next school",
        max_length=20,
        choices=[
            ("keep_all", "Keep the whole file"),
            ("keep_chronology", "Keep the chronology only, for a set time"),
            ("keep_none", "Keep no copy"),
        ],
        default="keep_all",
        db_default="keep_all",
        help_text="Your retention policy for the copy of a child protection file kept once the "
        "next school has confirmed receipt.",
    )
    transfer_copy_years = models.PositiveSmallIntegerField(
        "Keep the chronology for (years)",
        default=6,
        db_default=6,
        validators=[MinValueValidator(1)],
        help_text="With “Keep the chronology only”: how long after the child left.",
    )
    website_url = models.URLField("School website", blank=True)
    user_guide_url = models.URLField("User guide link", blank=True)
    support_url = models.URLField("Contact support link", blank=True)
    faq_url = models.URLField("FAQ link", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SchoolOwned(models.Model):
    """A row that belongs to one school; every query for it is scoped by that school."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")

    # Refuses a query outside a school scope and reads only the scope's school(s): see scope.py.
    objects = school_scoped()

    class Meta:
        abstract = True


class Retirable(models.Model):
    """Configuration that is retired rather than deleted once records refer to it."""

    is_active = models.BooleanField("In use", default=True)

    class Meta:
        abstract = True


class AccessLevel(SchoolOwned, Retirable):
    """A named level of access ("Staff", "DSL team"); a higher rank sees more categories."""

    name = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField(
        help_text="Higher numbers see more. A category is visible to staff at its level or above."
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["school", "rank"]
        constraints = [
            models.UniqueConstraint("school", Lower("name"), name="accesslevel_unique_name"),
            models.UniqueConstraint(
                fields=["school", "rank"],
                name="accesslevel_unique_rank",
                violation_error_message="Another access level already has this rank: choose "
                "a different number.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Agency(SchoolOwned, Retirable):
    """An outside agency that may be involved with an incident or action."""

    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["school", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint("school", Lower("name"), name="agency_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
