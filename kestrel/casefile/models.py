"""A child's case file: the open case, its statuses, risk levels, reviews, referrals, decisions,
information shared or not, and its outcome. Every row is a permanent record: a status ends and a
referral gets its outcome by a dated, audited change; nothing is edited over or deleted.

Each change is also written as a `CaseEvent`, the line the child's chronology shows for it, in
the same transaction: the chronology then reads one table for every kind of case-file entry."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from kestrel.schools.models import Retirable, SchoolOwned

# Statuses practice records, with start and end dates (KCSIE; Working Together 2023).
EARLY_HELP = "early_help"
CHILD_IN_NEED = "child_in_need"
CHILD_PROTECTION_PLAN = "child_protection_plan"
LOOKED_AFTER = "looked_after"
PREVIOUSLY_LOOKED_AFTER = "previously_looked_after"
OPEN_TO_SOCIAL_CARE = "open_to_social_care"
CHANNEL = "channel"
YOUNG_CARER = "young_carer"
SCHOOL_DEFINED = "school"

STATUS_KINDS = [
    (EARLY_HELP, "Early Help (Family Help)"),
    (CHILD_IN_NEED, "Child in Need"),
    (CHILD_PROTECTION_PLAN, "Child Protection Plan"),
    (LOOKED_AFTER, "Looked After"),
    (PREVIOUSLY_LOOKED_AFTER, "Previously Looked After"),
    (OPEN_TO_SOCIAL_CARE, "Open to social care"),
    (CHANNEL, "Channel"),
    (YOUNG_CARER, "Young carer"),
    (SCHOOL_DEFINED, "Another status"),
]
# The category of a Child Protection Plan, as the DfE's Children in Need census records it.
PLAN_CATEGORIES = [
    ("neglect", "Neglect"),
    ("physical", "Physical abuse"),
    ("sexual", "Sexual abuse"),
    ("emotional", "Emotional abuse"),
    ("multiple", "Multiple"),
]
# Statuses that concern a child in care or once in care: their virtual school head is recorded.
CARE_STATUSES = {LOOKED_AFTER, PREVIOUSLY_LOOKED_AFTER}

DEFAULT_RISK_LEVELS = ("Low", "Medium", "High")

REFERRAL_TARGETS = [
    ("social_care", "Children’s social care"),
    ("early_help", "Early help"),
    ("police", "Police"),
    ("lado", "LADO"),
    ("channel", "Channel"),
    ("camhs", "CAMHS"),
    ("agency", "Another agency"),
]

NO_FURTHER_ACTION = "nfa"
DECISIONS = [
    (NO_FURTHER_ACTION, "No further action"),
    ("monitor", "Monitor in school"),
    ("support", "Support in school"),
    ("early_help", "Early help"),
    ("refer", "Refer"),
    ("other", "Another decision"),
]

# The lawful bases staff most often share safeguarding information on (UK GDPR, DPA 2018, and
# the government's "Information sharing" advice for practitioners, 2024).
SHARING_BASES = [
    ("public_task", "Public task (UK GDPR Article 6(1)(e))"),
    ("legal_obligation", "Legal obligation (UK GDPR Article 6(1)(c))"),
    ("vital_interests", "Vital interests (UK GDPR Article 6(1)(d))"),
    ("safeguarding", "Safeguarding of children (DPA 2018 Schedule 8, paragraph 4)"),
    ("consent", "Consent"),
    ("other", "Another basis"),
]

CASE_OUTCOMES = [
    ("stepped_down", "Stepped down to universal services"),
    ("early_help", "Early help in place"),
    ("social_care", "Open to children’s social care"),
    ("left_school", "The child left the school (file transferred)"),
    ("no_concerns", "No further safeguarding concerns"),
    ("other", "Another outcome"),
]


class StatusKind(SchoolOwned, Retirable):
    """A status the school records besides the ones practice defines ("Subject to a
    court order", "Elective home education")."""

    name = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["school", "position", "name"]

    def __str__(self) -> str:
        return self.name


class RiskLevel(SchoolOwned, Retirable):
    """One of the school's risk levels, lowest first (by default Low, Medium, High)."""

    name = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["school", "position", "name"]

    def __str__(self) -> str:
        return self.name


class Written(SchoolOwned):
    """What every case-file record keeps: the child, the incident it was recorded on (if any),
    who wrote it with their name and role as they were then, and when it was written. A record
    on an incident is seen only by those who may open the incident (`required_rank`)."""

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_name = models.CharField(max_length=200)
    author_role = models.CharField(max_length=120, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    required_rank = models.PositiveSmallIntegerField(default=0)
    # When it was last corrected (`Correction` keeps each correction's values before and after).
    corrected_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class Case(Written):
    """A child's open case with the DSL team: opened when the first status, risk level or
    referral is recorded (or by hand), closed only with an outcome. One open case per child."""

    opened_on = models.DateField("Opened")
    next_review_on = models.DateField("Next review", null=True, blank=True)
    closed_on = models.DateField("Closed", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField("Outcome", max_length=20, choices=CASE_OUTCOMES, blank=True)
    outcome_text = models.TextField("What happened and why the case can close", blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=models.Q(closed_on__isnull=True),
                name="case_one_open_per_student",
            )
        ]
        indexes = [models.Index(fields=["school", "closed_on", "next_review_on"])]

    def __str__(self) -> str:
        return f"Case {self.pk}"


class Status(Written):
    """A status with its start date and, once ended, its end date."""

    kind = models.CharField("Status", max_length=30, choices=STATUS_KINDS)
    school_kind = models.ForeignKey(
        StatusKind, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(max_length=120)  # as it was named when started
    plan_category = models.CharField(
        "Category of the plan", max_length=20, choices=PLAN_CATEGORIES, blank=True
    )
    legal_status = models.CharField("Legal status", max_length=120, blank=True)
    virtual_school_head = models.CharField("Virtual school head", max_length=200, blank=True)
    started_on = models.DateField("Start date")
    start_note = models.TextField("Notes", blank=True)
    ended_on = models.DateField("End date", null=True, blank=True)
    end_note = models.TextField("Why it ended", blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["school", "student", "ended_on"])]
        verbose_name_plural = "statuses"

    def __str__(self) -> str:
        return f"Status {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    @property
    def needs_virtual_school_head(self) -> bool:
        return self.kind in CARE_STATUSES and not self.virtual_school_head.strip()


class RiskAssessment(Written):
    """The child's risk level as a key holder set it, with why; the latest is the current one."""

    level = models.CharField("Risk level", max_length=40)  # the level's name when set
    position = models.PositiveSmallIntegerField(default=0)  # its place among the levels, to sort
    reason = models.TextField("Why")
    set_on = models.DateField("Date")

    class Meta:
        ordering = ["-set_on", "-id"]
        indexes = [models.Index(fields=["student", "-set_on", "-id"])]

    def __str__(self) -> str:
        return f"Risk level {self.pk}"


class Review(Written):
    """A review of the case signed off by a DSL, with a note and the date of the next one."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField("Date of the review")
    note = models.TextField("Review notes")
    next_review_on = models.DateField("Next review", null=True, blank=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review {self.pk}"


class Referral(Written):
    """A referral to another agency, chased until its feedback comes: without an outcome by
    `feedback_due_on` it is on the DSL team's "Awaiting feedback" list."""

    target = models.CharField("Referred to", max_length=20, choices=REFERRAL_TARGETS)
    agency = models.ForeignKey(
        "schools.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_label = models.CharField(max_length=160)  # as it was named when made
    made_on = models.DateField("Date of the referral")
    reference = models.CharField("Reference", max_length=80, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Made by",
    )
    made_by_name = models.CharField(max_length=200)
    reason = models.TextField("What was referred and why")
    feedback_due_on = models.DateField("Feedback due")
    outcome = models.TextField("Feedback and outcome", blank=True)
    outcome_on = models.DateField("Date of the feedback", null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-made_on", "-id"]
        indexes = [
            models.Index(fields=["school", "outcome_on", "feedback_due_on"]),
            models.Index(fields=["school", "student", "outcome_on"]),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"

    @property
    def awaiting(self) -> bool:
        return self.outcome_on is None


class Decision(Written):
    """What was decided and why; "No further action" is a decision and needs its reason too."""

    kind = models.CharField("Decision", max_length=20, choices=DECISIONS)
    decided_on = models.DateField("Date of the decision")
    what = models.TextField("What was decided", blank=True)
    reason = models.TextField("Why")

    class Meta:
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return f"Decision {self.pk}"


class Sharing(Written):
    """Information shared, or a request to share refused: what, with whom, why, on what basis,
    when (the record the government's information-sharing advice asks for either way)."""

    shared = models.BooleanField("Was the information shared?")
    what = models.TextField("What information")
    with_whom = models.CharField("With whom", max_length=200)
    why = models.TextField("Why")
    basis = models.CharField("Lawful basis", max_length=30, choices=SHARING_BASES, blank=True)
    on = models.DateField("Date")

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"Information sharing {self.pk}"


class CaseEvent(Written):
    """One line of the child's chronology for a case-file change ("Child Protection Plan started
    (Neglect)", "Referral to Children's social care: feedback recorded"), written with the change.
    `summary` and `detail` are what the chronology shows; `happened_on` is the date it is filed
    under (the status's start date, the referral's date), `recorded_at` when it was written.
    `happened_at` places it among the incidents: the moment it was written when that was on the
    same day, otherwise midday of its date (the chronology shows a case event's date only)."""

    kind = models.CharField(max_length=40)
    happened_on = models.DateField()
    happened_at = models.DateTimeField()
    summary = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    # The record it is about: "status", "referral", ... and its id.
    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    # A record received with the child's file from their last school (kestrel.transfers): that
    # school's name, shown with the entry, which is read-only here. `author_name` and
    # `author_role` are then the original author's, `author` the key holder who accepted the file.
    source_school = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-happened_at", "-id"]
        indexes = [models.Index(fields=["school", "student", "-happened_at"])]

    def __str__(self) -> str:
        return f"Case event {self.pk}"


# What a correction may change of each kind of record (by `CaseEvent.record_type`). The kind of
# record itself (which status, which decision, the risk level) is not corrected: a new record is
# made instead, and the earlier one ends or stays in the history.
CORRECTABLE = {
    "case": ("opened_on", "outcome_text"),
    "status": (
        "started_on",
        "plan_category",
        "legal_status",
        "virtual_school_head",
        "start_note",
        "ended_on",
        "end_note",
    ),
    "riskassessment": ("set_on", "reason"),
    "referral": (
        "made_on",
        "reference",
        "reason",
        "feedback_due_on",
        "outcome_on",
        "outcome",
    ),
    "decision": ("decided_on", "what", "reason"),
    "sharing": ("on", "what", "with_whom", "why", "basis"),
    "review": ("reviewed_on", "note", "next_review_on"),
}


class Correction(Written):
    """A key holder's correction to a case-file record: each field it changed with its value
    before and after (as text), and why. The record shows the corrected values; what it said
    before stays here, and the correction is itself on the chronology."""

    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    changes = models.JSONField(default=dict)  # {field: [before, after]}
    reason = models.CharField("Reason for the correction", max_length=500)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"Correction {self.pk}"
