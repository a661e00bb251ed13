"""Who must do which training, and where each member of staff stands: the selector every list,
email and export reads."""

import datetime

import pytest

from kestrel.testing.factories import (
    AlertGroupFactory,
    RequirementFactory,
    TrainingRecordFactory,
    UserFactory,
)
from kestrel.training.due import DUE_SOON, OVERDUE, UP_TO_DATE
from kestrel.training.models import AppliesTo, JoiningDate
from kestrel.training.selectors import compliance

TODAY = datetime.date(2026, 11, 16)


def joined(user, day):
    JoiningDate.objects.create(school=user.school, staff=user, joined_on=day)


@pytest.fixture
def everyone(school):
    return RequirementFactory(school=school, name="Safeguarding update", renewal_months=12)


def standings_of(school, user):
    return {
        s.requirement.name: s
        for s in compliance(school, today=TODAY).standings
        if s.staff.pk == user.pk
    }


def test_each_kind_of_requirement_applies_to_its_staff(school, people):
    group = AlertGroupFactory(school=school, name="Pastoral team")
    mentor = UserFactory(school=school, job_title="Learning mentor")
    group.members.add(mentor)
    RequirementFactory(school=school, name="Everyone's", applies_to=AppliesTo.EVERYONE)
    RequirementFactory(school=school, name="DSL training", applies_to=AppliesTo.DSL_TEAM)
    RequirementFactory(
        school=school,
        name="Safer recruitment",
        applies_to=AppliesTo.JOB_TITLES,
        job_titles="Headteacher\nschool ADMINISTRATOR",
    )
    RequirementFactory(
        school=school, name="Pastoral", applies_to=AppliesTo.ALERT_GROUP, alert_group=group
    )
    RequirementFactory(school=school, name="Retired one", is_active=False)
    RequirementFactory(school=people.other_admin.school, name="Another school's")

    assert set(standings_of(school, people.dsl)) == {"Everyone's", "DSL training"}
    assert set(standings_of(school, people.admin)) == {"Everyone's", "Safer recruitment"}
    assert set(standings_of(school, people.teacher)) == {"Everyone's"}
    assert set(standings_of(school, mentor)) == {"Everyone's", "Pastoral"}


def test_due_is_counted_from_the_last_completion_or_the_joining_date(school, people, everyone):
    joined(people.teacher, datetime.date(2026, 11, 1))  # joined a fortnight ago, never done
    joined(people.dsl, datetime.date(2015, 9, 1))
    TrainingRecordFactory(
        requirement=everyone, staff=people.dsl, completed_on=datetime.date(2025, 11, 10)
    )
    TrainingRecordFactory(
        requirement=everyone, staff=people.dsl, completed_on=datetime.date(2024, 11, 20)
    )

    teacher = standings_of(school, people.teacher)["Safeguarding update"]
    dsl = standings_of(school, people.dsl)["Safeguarding update"]
    assert (teacher.last_done, teacher.due_on, teacher.state) == (
        None,
        datetime.date(2026, 12, 1),
        DUE_SOON,
    )
    assert (dsl.last_done, dsl.due_on, dsl.state) == (
        datetime.date(2025, 11, 10),
        datetime.date(2026, 11, 10),
        OVERDUE,
    )


def test_without_a_joining_date_the_account_date_is_used(school, people, everyone):
    type(people.teacher).objects.filter(pk=people.teacher.pk).update(
        date_joined=datetime.datetime(2026, 6, 1, 9, tzinfo=datetime.UTC)
    )
    assert standings_of(school, people.teacher)["Safeguarding update"].due_on == datetime.date(
        2026, 7, 1
    )


def test_removed_records_and_other_training_do_not_count(school, people, everyone):
    joined(people.teacher, datetime.date(2010, 1, 1))
    TrainingRecordFactory(
        requirement=everyone,
        staff=people.teacher,
        completed_on=datetime.date(2026, 10, 1),
        removed_at=datetime.datetime(2026, 10, 2, tzinfo=datetime.UTC),
    )
    TrainingRecordFactory(
        requirement=None,
        school=school,
        course="Safeguarding update",
        staff=people.teacher,
        completed_on=datetime.date(2026, 10, 3),
    )
    assert standings_of(school, people.teacher)["Safeguarding update"].state == OVERDUE

    TrainingRecordFactory(
        requirement=everyone, staff=people.teacher, completed_on=datetime.date(2026, 10, 4)
    )
    assert standings_of(school, people.teacher)["Safeguarding update"].state == UP_TO_DATE


def test_deactivated_staff_owe_no_training(school, people, everyone):
    people.teacher.is_active = False
    people.teacher.save()
    assert standings_of(school, people.teacher) == {}
