"""School days: Monday to Friday, except the bank holidays of England and Wales (the `holidays`
library's calendar, kept current by its maintainers). Term dates are not yet a school setting:
a day in the holidays counts as a school day, so a deadline errs early, never late."""

import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_school_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def school_days_after(day: datetime.date, days: int) -> datetime.date:
    """The school day `days` school days after `day` (feedback due in 3 school days)."""
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_school_day(day):
            remaining -= 1
    return day


def next_school_day(day: datetime.date) -> datetime.date:
    """The first school day after `day`."""
    return school_days_after(day, 1)


def school_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The same time of day, `days` school days earlier."""
    cursor = moment
    remaining = days
    while remaining:
        cursor -= datetime.timedelta(days=1)
        if is_school_day(cursor.date()):
            remaining -= 1
    return cursor
