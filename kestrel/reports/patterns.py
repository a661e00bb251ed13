"""The DSL's category and pattern report (not anonymised, key holders only): incidents month by
month, narrowed by category, year group, registration group and vulnerable group; the students
with the most incidents this term; the alerts left unread longest; and the actions each member
of staff added. Each part is one query, whatever the school's history holds; only records the
viewer's unlocked key opens are counted or listed."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncMonth

from kestrel.alerts.models import Alert
from kestrel.incidents.models import Action, Category, Incident
from kestrel.reports.charts import trend
from kestrel.reports.governors import VULNERABLE_GROUPS, key_rank
from kestrel.reports.suppression import Count as Shown
from kestrel.reports.terms import Period, SchoolYear
from kestrel.students.models import Student

MOST = 10  # students, alerts and staff listed


@dataclass(frozen=True)
class PatternFilter:
    """What the incidents are narrowed to: a category (main or sub), a year group, a
    registration group and a vulnerable group (VULNERABLE_GROUPS' keys); empty for any."""

    category: int | None = None
    year_group: int | None = None
    tutor_group: str = ""
    group: str = ""

    def q(self, prefix: str = "") -> Q:
        q = Q()
        if self.category is not None:
            q &= Q(**{f"{prefix}categories": self.category})
        if self.year_group is not None:
            q &= Q(**{f"{prefix}student__year_group": self.year_group})
        if self.tutor_group:
            q &= Q(**{f"{prefix}student__tutor_group": self.tutor_group})
        for key, _, where in VULNERABLE_GROUPS:
            if key == self.group:
                q &= _prefixed(where, prefix)
        return q

    def detail(self) -> dict:
        """For the audit trail: the filters chosen (ids and codes, never a child)."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def _prefixed(q: Q, prefix: str) -> Q:
    return Q(**{f"{prefix}{name}": value for name, value in q.children})


@dataclass
class StudentLine:
    student: Student
    incidents: int
    label: str = ""


@dataclass
class PatternReport:
    year: SchoolYear
    term: Period
    chosen: PatternFilter
    months: list[tuple[datetime.date, int]]
    students: list[StudentLine]
    unread: list[Alert]
    actions: list[dict]
    chart: object = None
    total: int = 0


def _months(year: SchoolYear) -> list[datetime.date]:
    first = year.year_to_date.starts_on.replace(day=1)
    months = []
    while first <= year.year_to_date.ends_on:
        months.append(first)
        first = (first + datetime.timedelta(days=32)).replace(day=1)
    return months


def pattern_report(viewer, year: SchoolYear, chosen: PatternFilter) -> PatternReport:
    """The report for the school year to date (four queries)."""
    rank = key_rank(viewer)
    start, end = year.year_to_date.bounds()
    incidents = Incident.objects.filter(
        chosen.q(), occurred_at__gte=start, occurred_at__lt=end, required_rank__lte=rank
    )
    by_month = {
        row["month"].date() if isinstance(row["month"], datetime.datetime) else row["month"]: row[
            "n"
        ]
        for row in incidents.annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(n=Count("id", distinct=True))
    }
    months = [(month, by_month.get(month, 0)) for month in _months(year)]
    term_start, term_end = year.current.bounds()
    students = (
        Student.objects.annotate(
            n=Count(
                "incidents",
                distinct=True,
                filter=chosen.q("incidents__")
                & Q(
                    incidents__occurred_at__gte=term_start,
                    incidents__occurred_at__lt=term_end,
                    incidents__required_rank__lte=rank,
                ),
            )
        )
        .filter(n__gt=0)
        .order_by("-n", "legal_last_name", "legal_first_name", "pk")[:MOST]
    )
    unread = list(
        Alert.objects.filter(read_at__isnull=True, incident__required_rank__lte=rank)
        .select_related("recipient", "incident")
        .order_by("created_at", "id")[:MOST]
    )
    actions = list(
        Action.objects.filter(
            occurred_at__gte=start, occurred_at__lt=end, incident__required_rank__lte=rank
        )
        .values("author_id", "author__first_name", "author__last_name", "author__job_title")
        .annotate(n=Count("id"), first=Min("occurred_at"))
        .order_by("-n", "author__last_name", "author__first_name")
    )
    chart = trend(
        "months",
        "Incidents each month",
        [month.strftime("%b %Y") for month, _ in months],
        [Shown(n) for _, n in months],
        axis="Month",
    )
    return PatternReport(
        year=year,
        term=year.current,
        chosen=chosen,
        months=months,
        students=[StudentLine(student, student.n) for student in students],
        unread=unread,
        actions=actions,
        chart=chart,
        total=sum(n for _, n in months),
    )


def filter_choices() -> dict:
    """What the filters offer: the school's categories and registration groups (two queries)."""
    rows = list(Category.objects.select_related("parent"))
    # Each main category in the school's order, its subcategories under it.
    rows.sort(
        key=lambda c: (
            (c.parent.position, c.parent.name, 1, c.position, c.name)
            if c.parent_id
            else (c.position, c.name, 0, 0, "")
        )
    )
    categories = [(c.pk, str(c)) for c in rows]
    tutor_groups = list(
        Student.objects.filter(on_roll=True)
        .exclude(tutor_group="")
        .order_by("tutor_group")
        .values_list("tutor_group", flat=True)
        .distinct()
    )
    return {"categories": categories, "tutor_groups": tutor_groups}
