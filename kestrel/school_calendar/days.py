"""School days: Monday to Friday, not a bank holiday of the school's part of the UK (GOV.UK's
list, bundled with the maintained `govuk-bank-holidays` package, so no network is needed), in
term where the school has recorded its terms, and not a half term, INSET day or closure.

Where the school has recorded no terms around a date (none yet, or not for that year), every
weekday that is not a bank holiday counts: a deadline then errs early, never late.

A school's calendar is read once and kept for a minute in each process (the Dashboard asks for it
at every visit); a change made in this process is seen at once (`forget`)."""

import datetime
import time
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction
from govuk_bank_holidays.bank_holidays import BankHolidays

from kestrel.school_calendar.models import Closure, Term
from kestrel.schools.models import School

ENGLAND_AND_WALES = BankHolidays.ENGLAND_AND_WALES
DIVISIONS = [  # as School.bank_holidays names them
    (BankHolidays.ENGLAND_AND_WALES, "England and Wales"),
    (BankHolidays.SCOTLAND, "Scotland"),
    (BankHolidays.NORTHERN_IRELAND, "Northern Ireland"),
]
KEPT_FOR = 60  # seconds


@lru_cache(maxsize=4)
def bank_holidays(division: str) -> frozenset[datetime.date]:
    """The division's bank holidays, from the package's bundled copy of GOV.UK's list."""
    calendar = BankHolidays(use_cached_holidays=True)
    return frozenset(holiday["date"] for holiday in calendar.get_holidays(division=division))


@dataclass(frozen=True)
class Calendar:
    division: str = ENGLAND_AND_WALES
    terms: tuple[tuple[datetime.date, datetime.date], ...] = ()
    closures: tuple[tuple[datetime.date, datetime.date], ...] = ()

    def is_school_day(self, day: datetime.date) -> bool:
        if day.weekday() >= 5 or day in bank_holidays(self.division):
            return False
        if any(first <= day <= last for first, last in self.closures):
            return False
        if self.terms and self.terms[0][0] <= day <= self.terms[-1][1]:
            return any(first <= day <= last for first, last in self.terms)
        return True  # no terms recorded around this date

    def school_days_after(self, day: datetime.date, days: int) -> datetime.date:
        """The school day `days` school days after `day` ("feedback due in 3 school days")."""
        remaining = days
        while remaining > 0:
            day += datetime.timedelta(days=1)
            if self.is_school_day(day):
                remaining -= 1
        return day

    def next_school_day(self, day: datetime.date) -> datetime.date:
        return self.school_days_after(day, 1)

    def school_days_before(self, moment: datetime.datetime, days: int) -> datetime.datetime:
        """The same time of day, `days` school days earlier."""
        cursor, remaining = moment, days
        while remaining:
            cursor -= datetime.timedelta(days=1)
            if self.is_school_day(cursor.date()):
                remaining -= 1
        return cursor


_kept: dict[int, tuple[float, Calendar]] = {}


def calendar_for(school) -> Calendar:
    """The school's calendar (a School, or its id)."""
    school_id = getattr(school, "pk", school)
    kept = _kept.get(school_id)
    if kept is not None and time.monotonic() - kept[0] < KEPT_FOR:
        return kept[1]
    division = (
        school.bank_holidays
        if isinstance(school, School)
        else School.objects.filter(pk=school_id).values_list("bank_holidays", flat=True).first()
    )
    calendar = Calendar(
        division=division or ENGLAND_AND_WALES,
        terms=tuple(
            Term.objects.filter(school_id=school_id)
            .order_by("starts_on")
            .values_list("starts_on", "ends_on")
        ),
        closures=tuple(
            Closure.objects.filter(school_id=school_id)
            .order_by("starts_on")
            .values_list("starts_on", "ends_on")
        ),
    )
    _kept[school_id] = (time.monotonic(), calendar)
    return calendar


def clear_kept() -> None:
    """Drops every kept calendar at once (tests, whose schools' ids the next test reuses)."""
    _kept.clear()


def forget(school_id: int | None = None) -> None:
    """Drops the kept calendar of a school (all schools: None) now and again when the change's
    transaction commits (a request reading it in between would otherwise keep the old one)."""

    def drop():
        if school_id is None:
            _kept.clear()
        else:
            _kept.pop(school_id, None)

    drop()
    transaction.on_commit(drop)
