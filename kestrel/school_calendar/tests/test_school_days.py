"""School days from the school's calendar: weekends, the bank holidays of its part of the UK
(GOV.UK's list, bundled), its terms, half terms and INSET days."""

import datetime
import json
from pathlib import Path

from kestrel.school_calendar.days import Calendar, bank_holidays

DATA = Path(__file__).resolve().parent / "data"
AUTUMN = (datetime.date(2026, 9, 2), datetime.date(2026, 12, 18))
SPRING = (datetime.date(2027, 1, 5), datetime.date(2027, 3, 26))
HALF_TERM = (datetime.date(2026, 10, 26), datetime.date(2026, 10, 30))
INSET = (datetime.date(2027, 1, 4), datetime.date(2027, 1, 4))
KENT = Calendar(terms=(AUTUMN, SPRING), closures=(HALF_TERM,))


def test_weekends_and_bank_holidays_are_not_school_days():
    plain = Calendar()
    assert plain.is_school_day(datetime.date(2026, 12, 7))  # a Monday
    assert not plain.is_school_day(datetime.date(2026, 12, 5))  # a Saturday
    assert not plain.is_school_day(datetime.date(2026, 12, 25))  # Christmas Day
    assert not plain.is_school_day(datetime.date(2026, 12, 28))  # Boxing Day, observed


def test_each_part_of_the_uk_has_its_own_bank_holidays():
    second_of_january = datetime.date(2026, 1, 2)
    saint_patricks_day = datetime.date(2026, 3, 17)
    assert Calendar(division="scotland").is_school_day(second_of_january) is False
    assert Calendar().is_school_day(second_of_january) is True
    assert Calendar(division="northern-ireland").is_school_day(saint_patricks_day) is False
    assert Calendar().is_school_day(saint_patricks_day) is True


def test_the_bundled_list_agrees_with_the_governments_published_bank_holidays():
    published = json.loads((DATA / "bank-holidays-england-and-wales-2012-2022.json").read_text())
    days = {
        datetime.date.fromisoformat(event["date"])
        for event in published["england-and-wales"]["events"]
    }
    assert len(days) > 80
    assert days <= bank_holidays("england-and-wales")


def test_half_terms_holidays_and_inset_days_are_not_school_days():
    calendar = Calendar(terms=(AUTUMN, SPRING), closures=(HALF_TERM, INSET))
    assert calendar.is_school_day(datetime.date(2026, 10, 23))  # Friday before half term
    assert not calendar.is_school_day(datetime.date(2026, 10, 28))  # half term
    assert not calendar.is_school_day(datetime.date(2026, 12, 21))  # Christmas holidays
    assert not calendar.is_school_day(datetime.date(2027, 1, 4))  # INSET day
    assert calendar.is_school_day(datetime.date(2027, 1, 5))  # first day of term


def test_three_school_days_after_the_friday_before_half_term_fall_after_it():
    friday = datetime.date(2026, 10, 23)
    assert KENT.school_days_after(friday, 3) == datetime.date(2026, 11, 4)
    assert Calendar().school_days_after(friday, 3) == datetime.date(2026, 10, 28)
    assert KENT.next_school_day(datetime.date(2026, 12, 18)) == datetime.date(2027, 1, 5)


def test_where_no_terms_are_recorded_every_weekday_that_is_not_a_bank_holiday_counts():
    after_the_recorded_terms = datetime.date(2027, 4, 12)
    assert KENT.is_school_day(after_the_recorded_terms)
    assert Calendar().school_days_after(datetime.date(2027, 12, 24), 3) == datetime.date(
        2027, 12, 31
    )


def test_school_days_before_skips_a_bank_holiday_monday():
    tuesday = datetime.datetime(2026, 5, 26, 12, 0, tzinfo=datetime.UTC)  # Spring bank holiday
    assert Calendar().school_days_before(tuesday, 1) == datetime.datetime(
        2026, 5, 22, 12, 0, tzinfo=datetime.UTC
    )
