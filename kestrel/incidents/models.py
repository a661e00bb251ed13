"""Incidents, their categories, linked students and the actions that follow them."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from kestrel.paths import path_to
from kestrel.schools.models import AccessLevel, Retirable, SchoolOwned


class Category(SchoolOwned, Retirable):
    """A category an incident is filed under; a subcategory has a parent ("Child Protection")."""

    name = models.CharField(max_length=80)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subcategories",
        verbose_name="Subcategory of",
    )
    access_level = models.ForeignKey(
        AccessLevel,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Access level needed to view",
    )
    position = models.PositiveSmallIntegerField(default=0)
    # UKCIS, "Sharing nudes and semi-nudes: advice for education settings": staff do not copy,
    # upload or view the image; they describe it. Files that are pictures are refused here.
    no_images = models.BooleanField(
        "No images",
        default=False,
        db_default=False,
        help_text="For nude or semi-nude images: pictures cannot be attached to incidents in "
        "this category, or to their actions. Staff describe the image instead.",
    )
    # The Prevent duty: Add Incident asks for the facts a Channel (Prevent) referral needs.
    is_prevent = models.BooleanField(
        "Prevent",
        default=False,
        db_default=False,
        help_text="For concerns about radicalisation: Add Incident asks for the facts a Prevent "
        "or Channel referral needs.",
    )

    class Meta:
        ordering = ["school", "position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                "school", "parent", Lower("name"), name="category_unique_name_per_parent"
            ),
            models.UniqueConstraint(
                "school",
                Lower("name"),
                condition=models.Q(parent__isnull=True),
                name="category_unique_top_level_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name}: {self.name}" if self.parent_id else self.name


# What schools call their category for nude or semi-nude images (UKCIS's "Sharing nudes and
# semi-nudes"; before 2020 "sexting" or "youth produced sexual imagery").
NUDE_IMAGE_WORDS = ("nude", "sexting", "youth produced sexual imagery")


def names_nude_images(name: str) -> bool:
    """Whether a category's name says it is for nude or semi-nude images: "No images" then."""
    return any(word in name.lower() for word in NUDE_IMAGE_WORDS)


class Incident(SchoolOwned):
    """A concern recorded about a student. Permanent: never edited in place or deleted."""

    student = models.ForeignKey(
        "students.Student", on_delete=models.PROTECT, related_name="incidents"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_reported"
    )
    text = models.TextField("Incident")
    # Verbatim, as the child said them: kept apart from the account and never tidied.
    child_words = models.TextField("The child’s own words", blank=True, default="", db_default="")
    present = models.TextField("Who else was present", blank=True, default="", db_default="")
    occurred_at = models.DateTimeField("Date/Time")
    recorded_at = models.DateTimeField(default=timezone.now)
    categories = models.ManyToManyField(Category, related_name="incidents")
    agencies = models.ManyToManyField(
        "schools.Agency", blank=True, related_name="incidents", verbose_name="Agency involved"
    )
    # The highest access-level rank among the incident's categories, fixed when it is recorded so
    # that "who may see it" is one indexed comparison rather than a join at every request.
    required_rank = models.PositiveSmallIntegerField(default=0)
    # One per Add Incident form: a second press of the button finds the first incident.
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # What the incident was recorded with, as its pages show it: category names and labels,
    # agency names and body map markers (see `snapshot_of`). Written once, in the transaction
    # that records the incident, so that showing an incident needs no join; the rows above stay
    # the record and what lists are filtered by.
    snapshot = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["school", "required_rank", "-occurred_at"]),
            # With the school first, the chronology's "this student, this school" is one index
            # range; a student-only index led PostgreSQL to AND it with the school's (200k rows).
            models.Index(fields=["school", "student", "-occurred_at"]),
            models.Index(fields=["reporter", "-recorded_at"]),
        ]

    def __str__(self) -> str:
        # Never the text or the student's name: this label goes into the audit trail.
        return f"Incident {self.pk}"

    @property
    def url(self) -> str:
        """The incident's page ("Viewing Incident")."""
        return path_to("incidents:view", self.pk)

    @property
    def category_labels(self) -> list[str]:
        """As the guide shows them: "Child Protection: Cause for Concern" for a subcategory."""
        return self.category_labels_in(self.snapshot)

    @staticmethod
    def category_labels_in(snapshot: dict) -> list[str]:
        """The one way an incident's categories are shown, on every page and in every email:
        each main category in the school's order, as "Main: Sub" for each subcategory chosen
        under it (in their order) or as "Main" alone when none was; a main category is not
        repeated beside its own subcategories. From the snapshot alone (rows read without the
        model too), which holds the categories in the school's order of the day."""
        categories = snapshot.get("categories", [])
        # A subcategory's label is "Main: Sub" (Category.__str__); a main category's its name.
        subcategories = {}
        for category in categories:
            if category["label"] != category["name"]:
                main = category["label"][: -len(category["name"]) - 2]
                subcategories.setdefault(main, []).append(category["label"])
        labels = []
        for category in categories:
            if category["label"] == category["name"]:
                labels += subcategories.pop(category["name"], None) or [category["label"]]
        # A subcategory recorded without its main category (never, since recording adds it).
        return labels + [label for rest in subcategories.values() for label in rest]

    @property
    def agency_names(self) -> list[str]:
        return list(self.snapshot.get("agencies", []))

    @property
    def marker_list(self) -> list["BodyMapMarker"]:
        fields = {field.name for field in BodyMapMarker._meta.fields}
        return [
            BodyMapMarker(incident_id=self.pk, **{k: v for k, v in marker.items() if k in fields})
            for marker in self.snapshot.get("markers", [])
        ]

    @property
    def no_images(self) -> bool:
        """Whether it was filed under a "No images" category (as recorded: see `snapshot_of`)."""
        return any(category.get("no_images") for category in self.snapshot.get("categories", []))

    @property
    def written_by(self) -> "Author":
        """Who recorded it, with the job title they had then (see `Author`)."""
        return Author.of(self.snapshot, self.reporter)


class Author:
    """The author of an incident or action as they were when they wrote it: their name and job
    title were snapshotted then, so a later change of either does not rewrite old records.
    Records written before the snapshot held them show the current name, without a role."""

    __slots__ = ("job_title", "name")

    def __init__(self, name: str, job_title: str = ""):
        self.name, self.job_title = name, job_title

    @classmethod
    def of(cls, snapshot: dict, user) -> "Author":
        written = snapshot.get("author")
        if written:
            return cls(written.get("name", ""), written.get("job_title", ""))
        return cls(user.full_name)

    def __str__(self) -> str:
        return f"{self.name}, {self.job_title}" if self.job_title else self.name


def author_snapshot(user) -> dict:
    """The author's name and job title at the moment of writing, for the record's snapshot."""
    return {"name": user.full_name, "job_title": user.job_title}


MARKER_DETAILS = ("site", "size", "shape", "colour", "broken", "swelling")


def snapshot_of(*, categories=(), agencies=(), markers=(), author=None) -> dict:
    """The snapshot an incident (or an action: agencies and author only) is recorded with."""
    snapshot = {
        "categories": [
            {"id": category.pk, "name": category.name, "label": str(category)}
            # Only when set: Add Action's Files box warns and refuses pictures without a query.
            | ({"no_images": True} if category.no_images else {})
            for category in sorted(categories, key=lambda c: (c.position, c.name, c.pk))
        ],
        "agencies": sorted(agency.name for agency in agencies),
        "markers": [
            {
                "number": m["number"],
                "side": m["side"],
                "x": m["x"],
                "y": m["y"],
                **{detail: m.get(detail, "") for detail in MARKER_DETAILS},
            }
            for m in sorted(markers, key=lambda marker: marker["number"])
        ],
    }
    if author is not None:
        snapshot["author"] = author_snapshot(author)
    return snapshot


# The longest note for a linked student's file (a note is their part, not a second account).
NOTE_LENGTH = 20_000


class LinkedStudent(models.Model):
    """Another student involved: the incident is on their chronology too, as their part of it
    (`note`), or whole when the author chose to share it (`share_whole_entry`)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="links")
    student = models.ForeignKey(
        "students.Student", on_delete=models.PROTECT, related_name="incident_links"
    )
    monitor_same_category = models.BooleanField("Monitor under the same category", default=False)
    share_documents = models.BooleanField("Share documents", default=False)
    # Each child's file shows only that child's part: the linked student's chronology shows the
    # entry's date, categories and this note, not the account of the other child, unless the
    # author chose to share the whole entry. Links made before either was asked have no note
    # and share nothing (db_default: rows written without these columns too).
    note = models.TextField(
        "Note for the linked student’s file", blank=True, default="", db_default=""
    )
    share_whole_entry = models.BooleanField(
        "Share the whole entry with the linked student’s file", default=False, db_default=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "student"], name="linkedstudent_unique")
        ]

    def __str__(self) -> str:
        return f"Link {self.pk} on incident {self.incident_id}"


class ChronologyTally(SchoolOwned):
    """How many incidents are on a student's chronology (their own and those they are linked
    to), by the rank the incidents need: kept by database triggers as incidents and links are
    written (`kestrel.incidents.tallies`), in the same transaction, so that the chronology's
    total is a sum of a few rows rather than a count of every entry at each visit."""

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="+")
    required_rank = models.PositiveSmallIntegerField()
    entries = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "required_rank"], name="chronologytally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Tally of student {self.student_id} at rank {self.required_rank}"


class Action(SchoolOwned):
    """What was done next about an incident; permanent like the incident."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="actions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="actions_added"
    )
    text = models.TextField("Action Taken")
    child_words = models.TextField("The child’s own words", blank=True, default="", db_default="")
    occurred_at = models.DateTimeField("Date/Time")
    recorded_at = models.DateTimeField(default=timezone.now)
    agencies = models.ManyToManyField(
        "schools.Agency", blank=True, related_name="actions", verbose_name="Agency Involved"
    )
    add_to_linked_students = models.BooleanField("Add action to linked students", default=False)
    share_documents = models.BooleanField("Share documents?", default=False)
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The agencies' names as recorded, written with the action (see Incident.snapshot).
    snapshot = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["incident", "occurred_at"]),
            models.Index(fields=["author", "-recorded_at"]),  # My History
        ]

    def __str__(self) -> str:
        return f"Action {self.pk}"

    @property
    def agency_names(self) -> list[str]:
        return list(self.snapshot.get("agencies", []))

    @property
    def written_by(self) -> Author:
        """Who added it, with the job title they had then (see `Author`)."""
        return Author.of(self.snapshot, self.author)


class BodyMapMarker(models.Model):
    """A numbered mark on the body map; the incident text refers to it by its number."""

    SIDES = [("front", "Front"), ("back", "Back")]
    # Skin broken? Swelling? Blank when not recorded (markers placed before these were asked).
    OBSERVED = [("yes", "Yes"), ("no", "No"), ("unknown", "Not known")]

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="markers")
    number = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=5, choices=SIDES)
    # Where on the figure, as fractions of its width and height (0 to 1).
    x = models.FloatField()
    y = models.FloatField()
    site = models.CharField("Site", max_length=100, blank=True, default="", db_default="")
    size = models.CharField("Size", max_length=100, blank=True, default="", db_default="")
    shape = models.CharField("Shape", max_length=100, blank=True, default="", db_default="")
    colour = models.CharField("Colour", max_length=100, blank=True, default="", db_default="")
    broken = models.CharField(
        "Skin broken", max_length=7, choices=OBSERVED, blank=True, default="", db_default=""
    )
    swelling = models.CharField(
        "Swelling", max_length=7, choices=OBSERVED, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "number"], name="marker_unique_number")
        ]

    def __str__(self) -> str:
        return f"Marker {self.number} ({self.side})"

    @property
    def svg_x(self) -> float:
        return round(self.x * 200, 1)

    @property
    def svg_y(self) -> float:
        return round(self.y * 420, 1)


# The key a form page gives its submission; stored as "<user id>:<key>" in the 64 characters of
# Incident.submission_key and Action.submission_key (a uuid4 in hex is 32).
SUBMISSION_LENGTH = 40


class Draft(SchoolOwned):
    """An Add Incident form not yet submitted, saved as it is typed so that nothing is lost
    (Blank Screen, a closed tab, an expired session). Deleted when the incident is added."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    submission = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["author", "submission"], name="draft_unique_form")
        ]

    def __str__(self) -> str:
        return f"Draft {self.pk}"


class Correction(models.Model):
    """A correction to an incident by a key holder. The incident itself is never changed: the
    original stays, and each correction shows who changed what, when and why."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="corrections")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="corrections"
    )
    created_at = models.DateTimeField(default=timezone.now)
    text = models.TextField("Corrected text", blank=True)
    occurred_at = models.DateTimeField("Corrected date/time", null=True, blank=True)
    reason = models.CharField("Reason for the correction", max_length=500)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Correction {self.pk} to incident {self.incident_id}"


class EncompassNotification(SchoolOwned):
    """An Operation Encompass notification: the police telling the school, before the next
    school day, that a child was involved in (or present at) a domestic abuse incident, so that
    a key adult can support them. Recorded with its incident (one to one); the DSL team
    acknowledges it, and one not acknowledged by `due_at` is flagged on their Dashboard."""

    PRESENT = [("yes", "Yes"), ("no", "No"), ("unknown", "Not known")]

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="encompass")
    police_reference = models.CharField("Police reference", max_length=60)
    abuse_occurred_at = models.DateTimeField("Date and time of the domestic abuse incident")
    received_at = models.DateTimeField("Date and time the notification was received")
    child_present = models.CharField(
        "Was the child present?", max_length=7, choices=PRESENT, default="unknown"
    )
    support_offered = models.TextField("Support offered", blank=True, default="")
    # The start of the next school day after it was received (`services.encompass_due`).
    due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [
            # The Dashboard's "not acknowledged in time": the school's few waiting, by due time.
            models.Index(
                fields=["school", "due_at"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="encompass_waiting",
            )
        ]

    def __str__(self) -> str:
        # Never the police reference or the child: this label goes into the audit trail.
        return f"Operation Encompass notification {self.pk}"

    @property
    def overdue(self) -> bool:
        return self.acknowledged_at is None and self.due_at <= timezone.now()


class PreventConcern(models.Model):
    """The facts a Prevent (Channel) referral needs, asked for when an incident is filed under
    the school's Prevent category and recorded with it (one to one), permanent like it."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="prevent")
    said_or_done = models.TextField("What was said or done")
    where_and_when = models.TextField("Where and when", blank=True, default="")
    ideology = models.TextField("The ideology or concern, if known", blank=True, default="")
    online_activity = models.TextField("Online activity", blank=True, default="")
    immediate_risk = models.TextField("Any immediate risk to the child or others")
    who_else_knows = models.TextField("Who else knows", blank=True, default="")

    def __str__(self) -> str:
        return f"Prevent facts of incident {self.incident_id}"


# The facts, in the order the form asks and the page shows them.
PREVENT_FACTS = (
    "said_or_done",
    "where_and_when",
    "ideology",
    "online_activity",
    "immediate_risk",
    "who_else_knows",
)
