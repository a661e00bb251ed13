"""Students: the children whose records Kestrel keeps."""

from django.db import models

from kestrel.schools.models import SchoolOwned
from kestrel.schools.scope import school_scoped
from kestrel.search import KeepsSearchText, SearchTextQuerySet
from kestrel.students.names import LABEL_FIELDS, STUDENT_NAME_FIELDS
from kestrel.students.search import SEARCH_FIELDS
from kestrel.students.upn import validate_upn

YEAR_GROUPS = [
    (-1, "Nursery"),
    (0, "Reception"),
    *[(year, f"Year {year}") for year in range(1, 14)],
]


# The DfE school census codes.
GENDERS = [("F", "Female"), ("M", "Male"), ("U", "Not known")]
SEN_STATUSES = [
    ("N", "No special educational need"),
    ("K", "SEN support"),
    ("E", "Education, health and care plan"),
]


# A student's details as School set-up edits them and an import writes them, in that order.
DETAIL_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_first_name",
    "preferred_last_name",
    "date_of_birth",
    "upn",
    "former_upns",
    "mis_id",
    "year_group",
    "tutor_group",
    "gender",
    "admission_date",
    "on_roll",
    "left_on",
    "sen_status",
    "pupil_premium",
    "free_school_meals",
    "eal",
    "looked_after",
    "previous_school",
)


class Student(KeepsSearchText, SchoolOwned):
    """A child on (or once on) the school's roll. Students who leave are kept, marked as left."""

    YEAR_GROUPS = YEAR_GROUPS
    GENDERS = GENDERS
    SEN_STATUSES = SEN_STATUSES
    SEARCH_FIELDS = SEARCH_FIELDS

    legal_first_name = models.CharField("Legal first name", max_length=100)
    legal_last_name = models.CharField("Legal last name", max_length=100)
    preferred_first_name = models.CharField(
        "Preferred first name",
        max_length=100,
        blank=True,
        help_text="Leave empty if the same as the legal first name.",
    )
    preferred_last_name = models.CharField(
        "Preferred last name",
        max_length=100,
        blank=True,
        help_text="Leave empty if the same as the legal last name.",
    )
    date_of_birth = models.DateField("Date of birth")
    upn = models.CharField(
        "UPN",
        max_length=13,
        blank=True,
        validators=[validate_upn],
        help_text="Unique Pupil Number: 13 characters, for example A123456789012.",
    )
    year_group = models.SmallIntegerField("Year group", choices=YEAR_GROUPS)
    tutor_group = models.CharField(
        "Registration group", max_length=20, blank=True, help_text="For example 1B."
    )
    on_roll = models.BooleanField("On roll", default=True)
    left_on = models.DateField("Date left", null=True, blank=True)
    # From the school's MIS (kestrel.roster): identifiers to match the next import by, and the
    # details a DSL weighs with a concern (the DfE census codes where there are some).
    former_upns = models.CharField(
        "Former UPNs",
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text="UPNs the student had before, separated by spaces.",
    )
    mis_id = models.CharField(
        "MIS id",
        max_length=40,
        blank=True,
        default="",
        db_default="",
        help_text="The student's id in the school's management information system.",
    )
    gender = models.CharField(
        "Gender", max_length=1, choices=GENDERS, blank=True, default="", db_default=""
    )
    admission_date = models.DateField("Admission date", null=True, blank=True)
    sen_status = models.CharField(
        "SEN status", max_length=1, choices=SEN_STATUSES, blank=True, default="", db_default=""
    )
    pupil_premium = models.BooleanField("Pupil premium", default=False, db_default=False)
    free_school_meals = models.BooleanField("Free school meals", default=False, db_default=False)
    eal = models.BooleanField("English as an additional language", default=False, db_default=False)
    looked_after = models.BooleanField("Looked after", default=False, db_default=False)
    previous_school = models.CharField(
        "Previous school",
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text="From a Common Transfer File: the school the student came from.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The type-ahead's text (kestrel.search), kept by save() and the bulk writes. Its
    # trigram index on PostgreSQL is made by migration 0002, not declared here: SQLite has none.
    search_text = models.TextField(default="", editable=False)

    objects = school_scoped(models.Manager.from_queryset(SearchTextQuerySet))

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "upn"],
                condition=~models.Q(upn=""),
                name="student_unique_upn",
                violation_error_message="Another student at this school already has this UPN.",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "legal_last_name", "legal_first_name"]),
            models.Index(fields=["school", "tutor_group"]),
            # Matching a roster file's rows: its UPNs (the unique constraint's index is partial,
            # which a prepared statement's generic plan cannot use for `upn IN (...)`) and MIS ids.
            models.Index(fields=["school", "upn"]),
            models.Index(fields=["school", "mis_id"]),
            models.Index(fields=["school", "date_of_birth"]),
        ]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def from_label(cls, pk: int, values) -> "Student":
        """A student with only the fields of their label and names (`LABEL_FIELDS`, in order), for
        rows read as plain values: enough for `display_label` and Hide Names."""
        return cls(pk=pk, **dict(zip(LABEL_FIELDS, values, strict=True)))

    @property
    def first_name(self) -> str:
        return self.preferred_first_name or self.legal_first_name

    @property
    def last_name(self) -> str:
        return self.preferred_last_name or self.legal_last_name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def label(self) -> str:
        """How the guides show a student: "Hannah Greenwood (1B)"."""
        return f"{self.name} ({self.tutor_group})" if self.tutor_group else self.name

    def all_names(self) -> set[str]:
        """Every name the student is known by, for Hide Names."""
        return {name for name in (getattr(self, field) for field in STUDENT_NAME_FIELDS) if name}
