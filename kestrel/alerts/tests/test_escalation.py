"""An alert to a DSL unread after a school day is flagged on the DSL team's Dashboard."""

import datetime

import time_machine
from django.utils import timezone

from kestrel.school_calendar.days import Calendar
from kestrel.testing.factories import (
    AccessLevelFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
    UserFactory,
)

MONDAY_NOON = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)


def test_school_days_skip_the_weekend():
    calendar = Calendar()
    assert calendar.school_days_before(MONDAY_NOON, 1) == MONDAY_NOON - datetime.timedelta(days=3)
    assert calendar.school_days_before(MONDAY_NOON + datetime.timedelta(days=1), 1) == MONDAY_NOON


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
    assert "Chloe Kelan has not read James Carter’s" in dsl_page
    assert "Overdue alerts to the DSL team" not in teacher_page


def test_an_overdue_alert_links_to_its_incident_only_where_the_viewers_key_opens_it(
    people, school, signed_in, levels
):
    """The DSL team's level opens the first incident; the second is filed above it (say, a
    head teacher's category) and alerted to a colleague, so its row says what it is but is no
    link to a page the viewer would be refused. (Their own unread alert would open it.)"""
    above = AccessLevelFactory(school=school, name="Head teacher", rank=60)
    head = UserFactory(school=school, first_name="Hana", access_level=above, is_key_holder=True)
    with time_machine.travel(MONDAY_NOON, tick=False):
        long_ago = MONDAY_NOON - datetime.timedelta(days=6)
        opened = alert_to_dsl(school, people, created_at=long_ago).incident
        closed = AlertFactory(
            incident=IncidentFactory(
                student=StudentFactory(school=school),
                reporter=people.teacher,
                categories=[CategoryFactory(school=school, access_level=above)],
            ),
            recipient=head,
            sender=people.teacher,
            created_at=long_ago,
        ).incident
        response = signed_in(people.dsl).get("/dashboard/")
    html = response.content.decode()
    assert f'href="/incidents/{opened.pk}/">incident</a>' in html
    assert f"/incidents/{closed.pk}/" not in html
    assert html.count("has not read James Carter’s") == 2


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
