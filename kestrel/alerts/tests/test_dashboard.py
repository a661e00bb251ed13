"""The Dashboard as the guide shows it: unread alerts, and My History of the last 7 days."""

import datetime

import time_machine
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.audit.selectors import describe
from kestrel.testing.factories import AlertFactory, CategoryFactory, IncidentFactory, StudentFactory


def test_an_alert_reads_as_in_the_guide_and_opens_the_incident(people, school, signed_in, levels):
    hannah = StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )
    incident = IncidentFactory(
        student=hannah,
        reporter=people.dsl,
        categories=[
            CategoryFactory(
                school=school, name="Child Protection", access_level=levels.dsl, position=3
            ),
            CategoryFactory(
                school=school, name="Home Issues", access_level=levels.staff, position=4
            ),
        ],
    )
    with time_machine.travel(timezone.now() - datetime.timedelta(days=2)):
        AlertFactory(incident=incident, recipient=people.teacher, sender=people.dsl)
    html = signed_in(people.teacher).get("/dashboard/").content.decode()
    text = " ".join(html.split())
    assert "Chloe Kelan added an" in text and "for Hannah Greenwood (1B)" in text
    assert "2 days ago by Chloe Kelan" in text
    assert f'href="/incidents/{incident.pk}/">incident</a>' in html
    assert text.index("Child Protection") < text.index("Home Issues")


def here(school):
    return IncidentFactory(student=StudentFactory(school=school))


def test_read_alerts_and_other_peoples_alerts_are_not_on_the_dashboard(people, signed_in, school):
    AlertFactory(incident=here(school), recipient=people.teacher, read_at=timezone.now())
    AlertFactory(incident=here(school), recipient=people.dsl)
    html = signed_in(people.teacher).get("/dashboard/").content.decode()
    assert "You have no unread alerts." in html


def test_my_history_shows_the_last_seven_days_only(people, signed_in):
    # About a student of the teacher's own school (as recording allows), not of a new school.
    ours = {"reporter": people.teacher, "student__school": people.teacher.school}
    recent = IncidentFactory(**ours)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=8)):
        IncidentFactory(**ours)
    page = signed_in(people.teacher).get("/dashboard/")
    history = page.context["history"]
    assert [item for _, _, item in history] == [recent]


def test_an_empty_history_says_so_in_the_guides_words(people, signed_in):
    html = signed_in(people.teacher).get("/dashboard/").content.decode()
    assert "You have not logged any incidents or actions in the last 7 days." in html


def test_the_demo_school_shows_james_the_three_alerts_of_the_guides_screenshot(client, db):
    from django.core.management import call_command
    from django.utils.html import strip_tags

    from kestrel.accounts.models import User
    from kestrel.testing.auth import sign_in_fully

    call_command("seed_demo")
    james = User.objects.get(email="james.carter@example.org")
    html = sign_in_fully(client, james).get("/dashboard/").content.decode()
    text = " ".join(strip_tags(html).split())
    hannah = text.index("Chloe Kelan added an incident for Hannah Greenwood (1B)")
    danielle = text.index("Chloe Kelan added an incident for Danielle Bradshaw (4A)")
    asif = text.index("Wendy Abbott added an incident for Asif Hussain (3A)")
    assert hannah < danielle < asif
    assert "2 days ago by Chloe Kelan" in text
    assert "4 days ago by Chloe Kelan" in text
    assert "6 days ago by Wendy Abbott" in text


def test_a_dashboard_that_shows_children_is_recorded_with_what_it_showed(people, signed_in, school):
    alert = AlertFactory(incident=here(school), recipient=people.teacher, sender=people.dsl)
    mine = IncidentFactory(school=school, reporter=people.teacher)
    client = signed_in(people.teacher)

    client.get("/dashboard/")

    [event] = AuditEvent.objects.filter(action="dashboard.viewed")
    assert event.actor == people.teacher
    assert event.detail == {
        "page": 1,
        "alerts": [alert.pk],
        "overdue": [],
        "history": [["incident", mine.pk]],
    }
    assert describe(event.action) == "Opened their Dashboard (alerts about students)"


def test_an_empty_dashboard_is_not_recorded(people, signed_in):
    signed_in(people.teacher).get("/dashboard/")

    assert not AuditEvent.objects.filter(action="dashboard.viewed").exists()
