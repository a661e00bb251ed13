"""The terms a report counts by: the school's own (School set-up, Term dates) or, when it has
recorded none for the school year, the Department for Education's standard terms.

The fallback is the DfE's definition for its termly statistics (the school census and the
suspensions and permanent exclusions collection): the autumn term runs from 1 August to
31 December, the spring term from 1 January to Easter Sunday, and the summer term from Easter
Monday to 31 July. Those three cover every day of the school year, holidays included.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from kestrel.school_calendar.models import Term


@dataclass(frozen=True)
class Period:
    """A term, or the school year to date: from its first day to its last, both included."""

    name: str
    starts_on: datetime.date
    ends_on: datetime.date

    def __contains__(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as moments in the school's time zone: from its first midnight to the
        midnight after its last day (an index range on a timestamp, not a date per row)."""
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.starts_on, datetime.time(), zone)
        after = self.ends_on + datetime.timedelta(days=1)
        return start, datetime.datetime.combine(after, datetime.time(), zone)


@dataclass(frozen=True)
class SchoolYear:
    """The school year a report covers: its terms so far, the year to date, and whether the
    terms are the school's own or the DfE's standard ones."""

    name: str
    terms: list[Period]
    year_to_date: Period
    standard_terms: bool

    @property
    def current(self) -> Period:
        return self.terms[-1]


def easter_sunday(year: int) -> datetime.date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, "Meeus/Jones/
    Butcher")."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return datetime.date(year, month, day + 1)


def year_starting(today: datetime.date) -> int:
    """The calendar year in which the school year holding `today` began (on 1 August)."""
    return today.year if today.month >= 8 else today.year - 1


def standard_terms(first_year: int) -> list[Period]:
    easter = easter_sunday(first_year + 1)
    return [
        Period(
            f"Autumn {first_year}",
            datetime.date(first_year, 8, 1),
            datetime.date(first_year, 12, 31),
        ),
        Period(f"Spring {first_year + 1}", datetime.date(first_year + 1, 1, 1), easter),
        Period(
            f"Summer {first_year + 1}",
            easter + datetime.timedelta(days=1),
            datetime.date(first_year + 1, 7, 31),
        ),
    ]


def school_year(school, today: datetime.date) -> SchoolYear:
    """This school year's terms that have begun by `today` (one query), the last one cut at
    today, and the year to date."""
    first_year = year_starting(today)
    starts = datetime.date(first_year, 8, 1)
    ends = datetime.date(first_year + 1, 7, 31)
    recorded = [
        Period(term.name, term.starts_on, term.ends_on)
        for term in Term.objects.filter(
            school=school, starts_on__gte=starts, starts_on__lte=ends
        ).order_by("starts_on")
    ]
    terms = recorded or standard_terms(first_year)
    begun = [term for term in terms if term.starts_on <= today] or terms[:1]
    begun[-1] = Period(begun[-1].name, begun[-1].starts_on, min(begun[-1].ends_on, today))
    return SchoolYear(
        name=f"{first_year} to {first_year + 1}",
        terms=begun,
        year_to_date=Period("Year to date", starts, today),
        standard_terms=not recorded,
    )
