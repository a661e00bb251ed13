"""What the trust's pages read: several schools at once, in a scope that names them all
(kestrel.schools.scope: `scope(school=[id, ...])` reads rows of those schools and no other)."""

from dataclasses import dataclass, field

from django.db.models import Count

from kestrel.accounts import trusts
from kestrel.accounts.models import User
from kestrel.schools.models import School, Trust
from kestrel.schools.scope import scope
from kestrel.students.models import Student


@dataclass
class SchoolColumn:
    """One school's column on the trust's page."""

    school: School
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class TrustView:
    trust: Trust
    columns: list[SchoolColumn]
    figure_names: list[str]

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        """Each figure with its value for each school, in the columns' order."""
        return [
            (name, [column.figures.get(name, 0) for column in self.columns])
            for name in self.figure_names
        ]


# The figures shown for each school, by name, in this order. The governors' figures and the
# inspection pack's counts (kestrel.reports) join them here, one entry each: a function taking
# the schools' ids and returning {school id: number}, run inside the trust-wide scope.
def _pupils_on_roll(school_ids: list[int]) -> dict[int, int]:
    rows = Student.objects.filter(on_roll=True).values("school").annotate(n=Count("pk"))
    return {row["school"]: row["n"] for row in rows}


def _staff(school_ids: list[int]) -> dict[int, int]:
    rows = User.objects.filter(is_active=True).values("school").annotate(n=Count("pk"))
    return {row["school"]: row["n"] for row in rows}


FIGURES = {"Pupils on roll": _pupils_on_roll, "Staff based at the school": _staff}


def side_by_side(school_ids: list[int]) -> dict[str, dict[int, int]]:
    """Each figure for each of the schools `school_ids` names, read in one scope naming them all:
    the extension point for the trust's reports (add to FIGURES). No child's data."""
    with scope(school=school_ids):
        return {name: figure(school_ids) for name, figure in FIGURES.items()}


def trust_views(user) -> list[TrustView]:
    """The trusts `user` leads, each with its schools side by side."""
    views = []
    for trust in trusts.trusts_led_by(user):
        schools = trusts.schools_of(trust)
        figures = side_by_side([school.pk for school in schools]) if schools else {}
        columns = [
            SchoolColumn(
                school=school,
                figures={name: by_school.get(school.pk, 0) for name, by_school in figures.items()},
            )
            for school in schools
        ]
        views.append(TrustView(trust=trust, columns=columns, figure_names=list(FIGURES)))
    return views
