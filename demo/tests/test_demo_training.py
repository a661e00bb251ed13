"""The demo school's staff training log: KCSIE's requirements, and staff overdue, due soon and
up to date, so that Staff training shows what it is for."""

import datetime

import pytest

from demo.school import seed_demo_school
from kestrel.accounts.models import User
from kestrel.training.due import DONE, DUE_SOON, OVERDUE, UP_TO_DATE
from kestrel.training.models import Requirement
from kestrel.training.selectors import compliance

TODAY = datetime.date(2026, 11, 16)


@pytest.fixture
def demo(db):
    return seed_demo_school(today=TODAY)


def test_the_demo_school_requires_kcsie_training_of_all_staff_and_the_dsl_team(demo):
    required = {r.name: r for r in Requirement.objects.filter(school=demo)}
    assert required["Safeguarding and child protection update"].renewal_months == 12
    assert required["DSL training"].renewal_months == 24
    assert required["DSL training"].applies_to == "dsl_team"


def test_the_demo_staff_are_overdue_due_soon_and_up_to_date(demo):
    tally = compliance(demo, today=TODAY).tally()
    assert tally.overdue >= 5 and tally.due_soon >= 3
    assert tally.up_to_date + tally.done > tally.overdue + tally.due_soon


def test_the_dsls_own_training_shows_her_dsl_training_due_soon_with_its_certificate(demo):
    chloe = User.objects.get(school=demo, first_name="Chloe", last_name="Kelan")
    mine = {
        s.requirement.name: s.state
        for s in compliance(demo, today=TODAY, staff_ids=[chloe.pk]).standings
    }
    assert mine["DSL training"] == DUE_SOON
    assert set(mine.values()) <= {DUE_SOON, OVERDUE, UP_TO_DATE, DONE}
    assert chloe.training_records.filter(certificate__isnull=False).count() == 1


def test_new_starters_owe_their_induction(demo):
    standings = compliance(demo, today=TODAY).standings
    induction = {
        s.staff.email.split("@")[0]: s.state
        for s in standings
        if s.requirement.name == "Safeguarding and child protection induction"
    }
    assert induction["olu.babatunde"] == OVERDUE
    assert induction["bethan.rees"] == DUE_SOON  # 2 days ago, due within 5
    assert induction["james.carter"] == DONE
