"""An alert to a DSL unread after a school day is flagged on the DSL team's Dashboard."""

import datetime

import time_machine
from django.utils import timezone

from kestrel.alerts.selectors import school_days_before
from kestrel.testing.factories import AlertFactory, IncidentFactory, StudentFactory

MONDAY_NOON = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)


def test_school_days_skip_the_weekend():
    assert school_days_before(MONDAY_NOON, 1) == MONDAY_NOON - datetime.timedelta(days=3)
    assert school_days_before(MONDAY_NOON + datetime.timedelta(days=1), 1) == MONDAY_NOON


def alert_to_dsl(school, people, created_at):
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    return AlertFactory(
        incident=incident, recipient=people.dsl, sender=people.teacher, created_at=created_at
    )


def test_an_alert_to_the_dsl_unread_for_a_school_day_is_flagged_for_key_holders(
    people, school, signed_in
):
    with time_machine.travel(MONDAY_NOON, tick=False):
        alert_to_dsl(school, people, created_at=MONDAY_NOON - datetime.timedelta(days=3, hours=1))
        dsl_page = signed_in(people.dsl).get("/dashboard/").content.decode()
        teacher_page = signed_in(people.teacher).get("/dashboard/").content.decode()
    assert "Overdue alerts to the DSL team" in dsl_page
    assert "Chloe Kelan: James Carter’s incident" in dsl_page
    assert "Overdue alerts to the DSL team" not in teacher_page


def test_an_alert_sent_on_friday_afternoon_is_not_overdue_on_monday_morning(
    people, school, signed_in
):
    friday_afternoon = MONDAY_NOON - datetime.timedelta(days=3) + datetime.timedelta(hours=3)
    with time_machine.travel(MONDAY_NOON, tick=False):
        alert_to_dsl(school, people, created_at=friday_afternoon)
        page = signed_in(people.dsl).get("/dashboard/").content.decode()
    assert "Overdue alerts to the DSL team" not in page


def test_a_read_alert_is_never_overdue(people, school, signed_in):
    with time_machine.travel(MONDAY_NOON, tick=False):
        alert = alert_to_dsl(school, people, created_at=MONDAY_NOON - datetime.timedelta(days=9))
        alert.read_at = timezone.now()
        alert.save()
        page = signed_in(people.dsl).get("/dashboard/").content.decode()
    assert "Overdue alerts to the DSL team" not in page
