import datetime
import json
from pathlib import Path

from kestrel.school_days import (
    is_school_day,
    next_school_day,
    school_days_after,
    school_days_before,
)

DATA = Path(__file__).resolve().parent / "data"


def test_weekends_and_bank_holidays_are_not_school_days():
    assert is_school_day(datetime.date(2026, 12, 7))  # a Monday
    assert not is_school_day(datetime.date(2026, 12, 5))  # a Saturday
    assert not is_school_day(datetime.date(2026, 12, 25))  # Christmas Day
    assert not is_school_day(datetime.date(2026, 12, 28))  # Boxing Day, observed on Monday


def test_three_school_days_after_a_friday_before_christmas_skip_the_bank_holidays():
    # Friday 24 December 2027 -> Mon 27 and Tue 28 are substitute bank holidays.
    assert school_days_after(datetime.date(2027, 12, 24), 3) == datetime.date(2027, 12, 31)
    assert school_days_after(datetime.date(2026, 12, 7), 3) == datetime.date(2026, 12, 10)
    assert next_school_day(datetime.date(2026, 12, 4)) == datetime.date(2026, 12, 7)


def test_the_calendar_agrees_with_the_governments_published_bank_holidays():
    published = json.loads((DATA / "bank-holidays-england-and-wales-2012-2022.json").read_text())
    events = (
        published["england-and-wales"]["events"] if "england-and-wales" in published else published
    )
    days = [datetime.date.fromisoformat(event["date"]) for event in events]
    assert len(days) > 80
    weekdays = [day for day in days if day.weekday() < 5]
    assert not [day for day in weekdays if is_school_day(day)]


def test_school_days_before_skips_a_bank_holiday_monday():
    tuesday = datetime.datetime(
        2026, 5, 26, 12, 0, tzinfo=datetime.UTC
    )  # after Spring Bank Holiday
    assert school_days_before(tuesday, 1) == datetime.datetime(
        2026, 5, 22, 12, 0, tzinfo=datetime.UTC
    )
