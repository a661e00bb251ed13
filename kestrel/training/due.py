"""When training is due: the rule, on plain values, so that every list, email and export agrees.

- Done before: due the renewal period after the last time it was done (never again for training
  done once).
- Never done: due the induction window after the member of staff joined the school.
- Overdue from the day after it was due; due soon from `due_soon_days` before (the due day
  itself is still due soon); otherwise up to date.
"""

import calendar
import datetime
from dataclasses import dataclass

OVERDUE = "overdue"
DUE_SOON = "due_soon"
UP_TO_DATE = "up_to_date"
DONE = "done"  # done once, never due again
LABELS = {OVERDUE: "Overdue", DUE_SOON: "Due soon", UP_TO_DATE: "Up to date", DONE: "Done"}


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day where it has no such day (29 February
    2024 + 12 months is 28 February 2025)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(
    *,
    last_done: datetime.date | None,
    joined_on: datetime.date,
    renewal_months: int | None,
    induction_days: int,
) -> datetime.date | None:
    """The day the training is due; None for training done once and done."""
    if last_done is None:
        return joined_on + datetime.timedelta(days=induction_days)
    if renewal_months is None:
        return None
    return add_months(last_done, renewal_months)


def state(due: datetime.date | None, *, today: datetime.date, due_soon_days: int) -> str:
    if due is None:
        return DONE
    if due < today:
        return OVERDUE
    if due <= today + datetime.timedelta(days=due_soon_days):
        return DUE_SOON
    return UP_TO_DATE


@dataclass(frozen=True)
class Standing:
    """One member of staff against one requirement that applies to them."""

    staff: object  # accounts.User
    requirement: object  # training.Requirement
    last_done: datetime.date | None
    due_on: datetime.date | None
    state: str

    @property
    def label(self) -> str:
        return LABELS[self.state]


def standing(staff, requirement, *, last_done, joined_on, today) -> Standing:
    due = due_on(
        last_done=last_done,
        joined_on=joined_on,
        renewal_months=requirement.renewal_months,
        induction_days=requirement.induction_days,
    )
    return Standing(
        staff=staff,
        requirement=requirement,
        last_done=last_done,
        due_on=due,
        state=state(due, today=today, due_soon_days=requirement.due_soon_days),
    )
