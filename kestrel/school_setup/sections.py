"""The sections of School set-up: each is a list of one kind of configuration, with add and edit.

One set of views serves them all (`kestrel.school_setup.views`), so every section behaves alike:
scoped to the administrator's school, audited, and never deleting anything (rows are retired).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Count, Q

from kestrel.accounts.forms import StaffForm
from kestrel.accounts.models import User
from kestrel.alerts.forms import AlertGroupForm
from kestrel.alerts.models import AlertGroup
from kestrel.casefile.models import RiskLevel, StatusKind
from kestrel.incidents.forms import CategoryForm
from kestrel.incidents.models import Category
from kestrel.school_calendar.models import Closure, Term
from kestrel.school_setup.forms import (
    AccessLevelForm,
    AgencyForm,
    ClosureForm,
    RiskLevelForm,
    StatusKindForm,
    TermForm,
)
from kestrel.schools.models import AccessLevel, Agency
from kestrel.search import matching
from kestrel.students.forms import StudentForm
from kestrel.students.models import Student
from kestrel.students.search import SEARCH_FIELDS
from kestrel.training.forms import RequirementForm
from kestrel.training.models import AppliesTo, Requirement


@dataclass(frozen=True)
class Column:
    heading: str
    value: Callable[[models.Model], object]
    is_student_name: bool = False  # starred out under Hide Names


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    singular: str
    model: type[models.Model]
    form: type
    columns: list[Column]
    intro: str
    search_fields: tuple[str, ...] = ()
    search_hint: str = ""
    # How a search narrows the rows: by default, every word typed is in one of search_fields
    # (ignoring case).
    search: Callable[[models.QuerySet, str], models.QuerySet] | None = None
    queryset: Callable[[models.QuerySet], models.QuerySet] = lambda qs: qs
    filters: dict[str, tuple[str, Q]] = field(default_factory=dict)
    holds_child_data: bool = False
    page_size: int = 50

    def rows(self, school) -> models.QuerySet:
        return self.queryset(self.model.objects.filter(school=school))

    def narrowed(self, rows: models.QuerySet, query: str) -> models.QuerySet:
        """`rows` that a search for `query` finds: by `search` if the section has one, else every
        word typed in one of search_fields (ignoring case)."""
        if self.search is not None:
            return self.search(rows, query)
        for term in query.split():
            rows = rows.filter(
                reduce(or_, (Q(**{f"{name}__icontains": term}) for name in self.search_fields))
            )
        return rows

    def listed(self, school, *, query: str = "", status: str = "") -> models.QuerySet:
        """The section's list: its rows, narrowed by a search (if it has search fields) and by a
        known filter (`status`, one of `filters`)."""
        rows = self.rows(school)
        if query and self.search_fields:
            rows = self.narrowed(rows, query)
        if status:
            rows = rows.filter(self.filters[status][1])
        return rows


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _status(obj) -> str:
    return "In use" if obj.is_active else "Retired"


def _who(requirement: Requirement) -> str:
    if requirement.applies_to == AppliesTo.JOB_TITLES:
        return "Job titles: " + ", ".join(
            line.strip() for line in requirement.job_titles.splitlines() if line.strip()
        )
    if requirement.applies_to == AppliesTo.ALERT_GROUP and requirement.alert_group_id:
        return f"Alert group: {requirement.alert_group.name}"
    return requirement.get_applies_to_display()


def _renewal(requirement: Requirement) -> str:
    months = requirement.renewal_months
    if months is None:
        return "Once"
    if months % 12 == 0:
        years = months // 12
        return "Every year" if years == 1 else f"Every {years} years"
    return f"Every {months} months"


SECTIONS: dict[str, Section] = {
    section.slug: section
    for section in [
        Section(
            slug="staff",
            title="Staff",
            singular="staff member",
            model=User,
            form=StaffForm,
            intro="Everyone who signs in to Kestrel. New staff set their own password with the "
            "link on the sign-in page, “Forgotten your password or using Kestrel for the first "
            "time?”.",
            columns=[
                Column("Name", lambda u: u.full_name),
                Column("Email address", lambda u: u.email),
                Column("Job title", lambda u: u.job_title),
                Column("Access level", lambda u: u.access_level or "None"),
                Column("Key holder", lambda u: _yes_no(u.is_key_holder)),
                Column("Status", lambda u: "Active" if u.is_active else "Deactivated"),
            ],
            search_fields=User.SEARCH_FIELDS,
            search=matching,
            search_hint="Search by name, email or job title",
            queryset=lambda qs: qs.select_related("access_level"),
            filters={
                "active": ("Active", Q(is_active=True)),
                "deactivated": ("Deactivated", Q(is_active=False)),
            },
        ),
        Section(
            slug="students",
            title="Students",
            singular="student",
            model=Student,
            form=StudentForm,
            intro="Students on roll and those who have left. A student who leaves is kept, marked "
            "as left, so that their records stay whole.",
            columns=[
                Column("Name", lambda s: s.name, is_student_name=True),
                Column(
                    "Legal name",
                    lambda s: f"{s.legal_first_name} {s.legal_last_name}",
                    is_student_name=True,
                ),
                Column("Date of birth", lambda s: s.date_of_birth.strftime("%-d %b %Y")),
                Column("UPN", lambda s: s.upn),
                Column("Year", lambda s: s.get_year_group_display()),
                Column("Group", lambda s: s.tutor_group),
                Column("Status", lambda s: "On roll" if s.on_roll else "Left"),
            ],
            search_fields=SEARCH_FIELDS,
            search_hint="Search by name, UPN or registration group",
            # As the type-ahead finds them: ignoring accents, through the trigram index.
            search=matching,
            filters={
                "on_roll": ("On roll", Q(on_roll=True)),
                "left": ("Left", Q(on_roll=False)),
            },
            holds_child_data=True,
        ),
        Section(
            slug="categories",
            title="Incident categories",
            singular="category",
            model=Category,
            form=CategoryForm,
            intro="The categories staff choose when they add an incident. Each needs an access "
            "level: staff below it will not normally be able to view incidents in that category.",
            columns=[
                Column("Category", lambda c: c.name if not c.parent_id else f"— {c.name}"),
                Column("Subcategory of", lambda c: c.parent.name if c.parent_id else ""),
                Column("Access level needed", lambda c: c.access_level),
                Column("No images", lambda c: _yes_no(c.no_images)),
                Column("Prevent", lambda c: _yes_no(c.is_prevent)),
                Column("Status", _status),
            ],
            search_fields=("name",),
            search_hint="Search by name",
            queryset=lambda qs: qs.select_related("parent", "access_level").order_by(
                models.functions.Coalesce("parent__position", "position"),
                models.functions.Coalesce("parent__name", "name"),
                models.F("parent").asc(nulls_first=True),
                "position",
                "name",
            ),
        ),
        Section(
            slug="alert-groups",
            title="Alert groups",
            singular="alert group",
            model=AlertGroup,
            form=AlertGroupForm,
            intro="Groups of colleagues that can be alerted with one button under “Alert Staff "
            "Members”.",
            columns=[
                Column("Group", lambda g: g.name),
                Column("Description", lambda g: g.description),
                Column("Members", lambda g: g.member_count),
                Column("Status", _status),
            ],
            queryset=lambda qs: qs.annotate(member_count=Count("members")).order_by("name"),
        ),
        Section(
            slug="agencies",
            title="Agencies",
            singular="agency",
            model=Agency,
            form=AgencyForm,
            intro="Outside agencies staff can name under “Agency involved”.",
            columns=[Column("Agency", lambda a: a.name), Column("Status", _status)],
        ),
        Section(
            slug="terms",
            title="Term dates",
            singular="term",
            model=Term,
            form=TermForm,
            intro="The school’s terms. School days (for alerts flagged to the DSL team, a "
            "referral’s feedback, a transfer’s deadline) are the weekdays in term that are not a "
            "bank holiday, half term or INSET day. Where no terms are recorded, every weekday "
            "that is not a bank holiday counts.",
            columns=[
                Column("Term", lambda t: t.name),
                Column("First day", lambda t: f"{t.starts_on:%-d %B %Y}"),
                Column("Last day", lambda t: f"{t.ends_on:%-d %B %Y}"),
            ],
            queryset=lambda rows: rows.order_by("-starts_on"),
        ),
        Section(
            slug="closures",
            title="Half terms and INSET days",
            singular="closure",
            model=Closure,
            form=ClosureForm,
            intro="Days the school is closed in term time: they are not school days.",
            columns=[
                Column("Name", lambda c: c.name),
                Column("Kind", lambda c: c.get_kind_display()),
                Column("First day", lambda c: f"{c.starts_on:%-d %B %Y}"),
                Column("Last day", lambda c: f"{c.ends_on:%-d %B %Y}"),
            ],
            queryset=lambda rows: rows.order_by("-starts_on"),
        ),
        Section(
            slug="case-statuses",
            title="Case statuses",
            singular="case status",
            model=StatusKind,
            form=StatusKindForm,
            intro="Statuses your school records on a child’s case file besides those every school "
            "has (Early Help, Child in Need, Child Protection Plan, Looked After, Previously "
            "Looked After, Open to social care, Channel, Young carer).",
            columns=[
                Column("Status", lambda s: s.name),
                Column("Order", lambda s: s.position),
                Column("In use", _status),
            ],
        ),
        Section(
            slug="risk-levels",
            title="Risk levels",
            singular="risk level",
            model=RiskLevel,
            form=RiskLevelForm,
            intro="The levels a key holder sets a child’s risk at, lowest first. Until your school "
            "adds its own, Kestrel offers Low, Medium and High.",
            columns=[
                Column("Risk level", lambda r: r.name),
                Column("Order", lambda r: r.position),
                Column("In use", _status),
            ],
        ),
        Section(
            slug="training",
            title="Training requirements",
            singular="training requirement",
            model=Requirement,
            form=RequirementForm,
            intro="The training your school requires, of whom and how often, for the staff "
            "training log. KCSIE: all staff are trained in safeguarding and child protection at "
            "induction and updated at least once a year; the DSL and deputies have formal "
            "training every two years and refresh their knowledge at least once a year.",
            columns=[
                Column("Training", lambda r: r.name),
                Column("Who must do it", _who),
                Column("Renewed", _renewal),
                Column("New staff within", lambda r: f"{r.induction_days} days"),
                Column("Status", _status),
            ],
            queryset=lambda rows: rows.select_related("alert_group").order_by("name"),
        ),
        Section(
            slug="access-levels",
            title="Access levels",
            singular="access level",
            model=AccessLevel,
            form=AccessLevelForm,
            intro="Who may see which incidents. A higher rank sees every category at its own "
            "level and below.",
            columns=[
                Column("Access level", lambda a: a.name),
                Column("Rank", lambda a: a.rank),
                Column("Description", lambda a: a.description),
                Column("Status", _status),
            ],
        ),
    ]
}
