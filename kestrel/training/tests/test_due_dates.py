"""When training is due (KCSIE 2025 paragraphs 124-126 and Annex C, as each school sets its
requirements): renewal after the last time, the induction window for someone who never did it,
training done once, month ends and leap days, and the overdue and due-soon boundaries."""

import datetime

import pytest

from kestrel.training.due import (
    DONE,
    DUE_SOON,
    OVERDUE,
    UP_TO_DATE,
    add_months,
    due_on,
    state,
)

D = datetime.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 9, 1), 12, D(2026, 9, 1)),
        (D(2025, 9, 1), 24, D(2027, 9, 1)),  # the DSL's formal training, every two years
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # a leap day, a year on: the month's last day
        (D(2024, 2, 29), 24, D(2026, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),  # four years on, a leap day again
        (D(2023, 2, 28), 12, D(2024, 2, 28)),  # not moved to the 29th
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),  # into the next year
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
    ],
)
def test_months_are_added_to_the_same_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_training_done_before_is_due_the_renewal_period_after_the_last_time():
    assert due_on(
        last_done=D(2025, 3, 10),
        joined_on=D(2019, 9, 1),
        renewal_months=12,
        induction_days=30,
    ) == D(2026, 3, 10)


def test_training_never_done_is_due_the_induction_window_after_joining():
    assert due_on(
        last_done=None, joined_on=D(2026, 9, 1), renewal_months=12, induction_days=30
    ) == D(2026, 10, 1)
    # "On their first day"
    assert due_on(
        last_done=None, joined_on=D(2026, 9, 1), renewal_months=None, induction_days=0
    ) == D(2026, 9, 1)


def test_training_done_once_is_never_due_again():
    assert (
        due_on(
            last_done=D(2020, 1, 6), joined_on=D(2019, 9, 1), renewal_months=None, induction_days=5
        )
        is None
    )
    assert state(None, today=D(2030, 1, 1), due_soon_days=30) == DONE


def test_a_leap_day_completion_is_due_on_28_february_of_the_next_year():
    assert due_on(
        last_done=D(2024, 2, 29), joined_on=D(2010, 1, 1), renewal_months=12, induction_days=30
    ) == D(2025, 2, 28)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (D(2026, 3, 9), OVERDUE),  # due yesterday
        (D(2026, 3, 10), DUE_SOON),  # due today: still in time
        (D(2026, 4, 9), DUE_SOON),  # exactly 30 days ahead
        (D(2026, 4, 10), UP_TO_DATE),  # 31 days ahead
        (D(2025, 3, 10), OVERDUE),
    ],
)
def test_overdue_is_from_the_day_after_and_due_soon_from_the_window_before(due, expected):
    assert state(due, today=D(2026, 3, 10), due_soon_days=30) == expected


def test_the_due_soon_window_is_the_requirements_own():
    today = D(2026, 3, 10)
    assert state(D(2026, 5, 1), today=today, due_soon_days=30) == UP_TO_DATE
    assert state(D(2026, 5, 1), today=today, due_soon_days=60) == DUE_SOON
