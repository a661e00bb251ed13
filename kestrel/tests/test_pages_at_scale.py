"""What changed so that pages stay fast with a trust's data: staff type-ahead from the server,
bounded Dashboard lists, chronology pages, write-time snapshots and sessions renewed once a
minute. Behaviour, not timings: the timings are `make bench`."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from kestrel.incidents import services
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AgencyFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def names(response) -> list[str]:
    return [person["name"] for person in response.json()["results"]]


def test_staff_type_ahead_finds_colleagues_by_every_word_typed(people, school, signed_in):
    UserFactory(school=school, first_name="Wendy", last_name="Abbott", job_title="Head teacher")
    UserFactory(school=school, first_name="Wendy", last_name="Moss", job_title="Class teacher")
    client = signed_in(people.teacher)
    assert names(client.get("/staff/search/", {"q": "wendy"})) == ["Wendy Abbott", "Wendy Moss"]
    assert names(client.get("/staff/search/", {"q": "wendy head"})) == ["Wendy Abbott"]
    found = client.get("/staff/search/", {"q": "abbott"}).json()["results"][0]
    # Who would normally see the incident is the server's answer (`normally`, asked with the
    # categories): a colleague's access level and key are not sent to the page.
    assert set(found) == {"id", "name", "title"}


def test_staff_type_ahead_never_offers_oneself_leavers_or_another_schools_staff(
    people, school, other_school, signed_in
):
    UserFactory(school=school, first_name="Wendy", last_name="Gone", is_active=False)
    UserFactory(school=other_school, first_name="Wendy", last_name="Elsewhere")
    client = signed_in(people.teacher)
    assert names(client.get("/staff/search/", {"q": "wendy"})) == []
    assert names(client.get("/staff/search/", {"q": "james"})) == []  # James himself
    assert names(client.get("/staff/search/", {"q": "  "})) == []


def test_the_dashboard_pages_through_unread_alerts_25_at_a_time_newest_first(
    people, school, signed_in
):
    student = StudentFactory(school=school)
    start = timezone.now() - datetime.timedelta(hours=2)
    made = [
        AlertFactory(
            incident=IncidentFactory(student=student, reporter=people.dsl),
            recipient=people.teacher,
            created_at=start + datetime.timedelta(minutes=minute),
        )
        for minute in range(53)
    ]
    newest_first = [alert.pk for alert in reversed(made)]
    client = signed_in(people.teacher)
    first = client.get("/dashboard/")
    assert [alert.pk for alert in first.context["alerts"]] == newest_first[:25]
    text = first.content.decode()
    assert 'href="?page=2" rel="next"' in text and "Older alerts" in text
    assert "Newer alerts" not in text
    second = client.get("/dashboard/", {"page": 2})
    assert [alert.pk for alert in second.context["alerts"]] == newest_first[25:50]
    third = client.get("/dashboard/", {"page": 3})
    assert [alert.pk for alert in third.context["alerts"]] == newest_first[50:]
    text = third.content.decode()
    assert 'href="?page=2" rel="prev"' in text and "Older alerts" not in text
    # Past the end (alerts read since the link was made) or not a number: the first page.
    for page in (9, "x"):
        shown = client.get("/dashboard/", {"page": page}).context["alerts"]
        assert [alert.pk for alert in shown] == newest_first[:25]


def test_a_chronology_position_past_either_end_shows_the_first_page(people, school, signed_in):
    student = StudentFactory(school=school)
    for _ in range(30):
        IncidentFactory(student=student, reporter=people.teacher)
    client = unlock_key(signed_in(people.dsl))
    first = client.get(f"/students/{student.pk}/").context["page"]
    second = client.get(f"/students/{student.pk}/", {"older": first.older}).context["page"]
    assert (len(first.entries), len(second.entries), second.older) == (25, 5, None)
    past = client.get(f"/students/{student.pk}/", {"older": "0.1"})  # before 1970: none older
    assert [e.pk for e in past.context["page"].entries] == [e.pk for e in first.entries]
    before = client.get(f"/students/{student.pk}/", {"newer": first.newer or "9" * 17 + ".1"})
    assert [e.pk for e in before.context["page"].entries] == [e.pk for e in first.entries]
    assert client.get(f"/students/{student.pk}/", {"page": "x"}).context["page"].total == 30


def test_a_chronology_holds_own_and_linked_incidents_once_each(people, school, signed_in):
    student = StudentFactory(school=school)
    own = IncidentFactory(student=student, reporter=people.teacher)
    linked = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    LinkedStudentFactory(incident=linked, student=student)
    LinkedStudentFactory(incident=own, student=StudentFactory(school=school))
    page = unlock_key(signed_in(people.dsl)).get(f"/students/{student.pk}/")
    assert sorted(entry["incident"].pk for entry in page.context["entries"]) == sorted(
        [own.pk, linked.pk]
    )
    assert page.context["page"].total == 2


def test_a_chronology_in_one_category_keeps_to_it_in_both_own_and_linked_incidents(
    people, school, levels, signed_in
):
    student = StudentFactory(school=school)
    home = CategoryFactory(school=school, name="Home Issues", access_level=levels.dsl)
    neglect = CategoryFactory(school=school, name="Neglect", parent=home, access_level=levels.dsl)
    other = CategoryFactory(school=school, name="Attendance", access_level=levels.dsl)
    own_home = IncidentFactory(student=student, reporter=people.teacher, categories=[home])
    own_neglect = IncidentFactory(student=student, reporter=people.teacher, categories=[neglect])
    IncidentFactory(student=student, reporter=people.teacher, categories=[other])
    linked_home = IncidentFactory(
        student=StudentFactory(school=school), reporter=people.teacher, categories=[home]
    )
    linked_other = IncidentFactory(
        student=StudentFactory(school=school), reporter=people.teacher, categories=[other]
    )
    for incident in (linked_home, linked_other):
        LinkedStudentFactory(incident=incident, student=student)
    client = unlock_key(signed_in(people.dsl))
    page = client.get(f"/students/{student.pk}/", {"category": home.pk})
    shown = {entry["incident"].pk for entry in page.context["entries"]}
    assert shown == {own_home.pk, own_neglect.pk, linked_home.pk}  # subcategories count too
    assert page.context["page"].total == 3
    everything = client.get(f"/students/{student.pk}/").context["page"].total
    assert everything == 5


def test_an_incident_keeps_the_names_it_was_recorded_with(people, school, levels, signed_in):
    parent = CategoryFactory(school=school, name="Child Protection", access_level=levels.dsl)
    sub = CategoryFactory(school=school, name="Neglect", parent=parent, access_level=levels.dsl)
    police = AgencyFactory(school=school, name="Police")
    incident = services.add_incident(
        actor=people.teacher,
        student=StudentFactory(school=school),
        text="Came to school hungry again.",
        categories=[sub, parent],
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        agencies=[police],
        markers=[{"number": 1, "side": "front", "x": 0.5, "y": 0.25}],
    )
    incident.refresh_from_db()
    assert incident.category_labels == ["Child Protection: Neglect"]
    assert incident.agency_names == ["Police"]
    assert [(m.number, m.side) for m in incident.marker_list] == [(1, "front")]
    police.name = "Police (renamed)"
    police.save()
    html = unlock_key(signed_in(people.dsl)).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Child Protection: Neglect" in html
    assert ">Police</dd>" in html and "Police (renamed)" not in html


def test_an_action_keeps_its_agencies_names(people, school):
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.dsl)
    action = services.add_action(
        actor=people.dsl,
        incident=incident,
        text="Rang the police.",
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        agencies=[AgencyFactory(school=school, name="Police")],
    )
    action.refresh_from_db()
    assert action.agency_names == ["Police"]
    assert [agency.name for agency in action.agencies.all()] == ["Police"]


def test_a_session_is_saved_at_most_once_a_minute_yet_idles_out_after_30_minutes(people, signed_in):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(people.teacher)
        client.get("/dashboard/")
        key = client.session.session_key
        saved = Session.objects.get(pk=key).expire_date
        clock.shift(datetime.timedelta(seconds=30))
        client.get("/dashboard/")
        assert Session.objects.get(pk=key).expire_date == saved  # no write
        clock.shift(datetime.timedelta(seconds=31))
        client.get("/dashboard/")
        renewed = Session.objects.get(pk=key).expire_date
        assert renewed == saved + datetime.timedelta(seconds=61)
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get("/dashboard/").status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        assert client.get("/dashboard/").status_code == 302


def test_incidents_recorded_before_snapshots_get_them_from_their_rows(school, levels, people):
    from importlib import import_module

    from django.apps import apps

    from kestrel.incidents.models import Incident

    fill = import_module("kestrel.incidents.migrations.0008_snapshots").fill_snapshots
    parent = CategoryFactory(school=school, name="Child Protection", access_level=levels.dsl)
    sub = CategoryFactory(school=school, name="Neglect", parent=parent, access_level=levels.dsl)
    incident = IncidentFactory(
        student=StudentFactory(school=school), reporter=people.teacher, categories=[sub]
    )
    incident.agencies.set([AgencyFactory(school=school, name="Police")])
    incident.markers.create(number=1, side="back", x=0.1, y=0.2)
    Incident.objects.filter(pk=incident.pk).update(snapshot={})
    fill(apps, None)
    incident.refresh_from_db()
    assert incident.category_labels == ["Child Protection: Neglect"]
    assert incident.agency_names == ["Police"]
    assert [(m.number, m.side, m.x, m.y) for m in incident.marker_list] == [(1, "back", 0.1, 0.2)]


def test_my_history_lists_the_newest_25_and_says_there_were_more(people, school, signed_in):
    from kestrel.testing.factories import ActionFactory

    student = StudentFactory(school=school)
    start = timezone.now() - datetime.timedelta(days=1)
    for minute in range(0, 40, 2):
        with time_machine.travel(start + datetime.timedelta(minutes=minute)):
            incident = IncidentFactory(student=student, reporter=people.teacher)
        with time_machine.travel(start + datetime.timedelta(minutes=minute + 1)):
            ActionFactory(incident=incident, author=people.teacher)
    page = signed_in(people.teacher).get("/dashboard/")
    history = page.context["history"]
    assert len(history) == 25 and page.context["more_history"] is True
    assert [kind for kind, _, _ in history[:3]] == ["action", "incident", "action"]
    assert [at for _, at, _ in history] == sorted((at for _, at, _ in history), reverse=True)
    assert history[0][2] == history[1][2] == incident  # the action's own incident
    text = page.content.decode()
    assert "You added more than 25 incidents and actions in the last 7 days" in text


def alerting_four(people, school):
    """Add Incident as the teacher, alerting four colleagues; returns the incident."""
    return services.add_incident(
        actor=people.teacher,
        student=StudentFactory(school=school),
        text="Said something worrying.",
        categories=[CategoryFactory(school=school, access_level=people.teacher.access_level)],
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        alert_recipients=[UserFactory(school=school) for _ in range(4)],
    )


def test_alerting_four_colleagues_writes_one_task_row_in_the_request(people, school, settings):
    from django_tasks_db.models import DBTaskResult

    from kestrel.alerts.tasks import send_alert_emails

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    incident = alerting_four(people, school)
    queued = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    assert [path for path, _ in queued] == ["kestrel.alerts.tasks.send_alert_emails"]
    ids = sorted(incident.alerts.values_list("pk", flat=True))
    args = queued[0][1]["args"]
    assert (sorted(args[0]), args[1:]) == (ids, [])
    send_alert_emails.call(*args)  # what the worker does with it: a task per alert
    per_alert = DBTaskResult.objects.filter(task_path="kestrel.alerts.tasks.send_alert_email")
    assert sorted(row.args_kwargs["args"][0] for row in per_alert) == ids


def test_with_the_database_queue_the_emails_task_is_written_with_the_incident_or_not_at_all(
    people, school, settings
):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        alerting_four(people, school)
        assert DBTaskResult.objects.count() == 1  # inside the transaction, before any commit
    with pytest.raises(RuntimeError), transaction.atomic():
        alerting_four(people, school)
        raise RuntimeError("the request failed after recording")
    assert DBTaskResult.objects.count() == 1  # the failed one's task went with it


def test_the_dsl_team_sees_the_oldest_10_overdue_alerts_and_that_there_are_more(
    people, school, signed_in
):
    student = StudentFactory(school=school)
    long_ago = timezone.now() - datetime.timedelta(days=14)
    for minute in range(11):
        AlertFactory(
            incident=IncidentFactory(student=student, reporter=people.teacher),
            recipient=people.dsl,
            created_at=long_ago + datetime.timedelta(minutes=minute),
        )
    page = signed_in(people.dsl).get("/dashboard/")
    assert len(page.context["overdue"]) == 10
    assert page.context["overdue"][0][0].created_at == long_ago  # oldest first
    text = page.content.decode()
    assert "More than 10 alerts to the DSL team have not been read" in text
    assert "The oldest 10 are listed." in text


def test_the_overdue_list_is_the_oldest_10_of_the_whole_dsl_team_and_of_nobody_else(
    people, school, other_school, levels, signed_in
):
    deputy = UserFactory(school=school, access_level=levels.dsl, is_key_holder=True)
    elsewhere = UserFactory(school=other_school, is_key_holder=True)
    student = StudentFactory(school=school)

    def incident():
        return IncidentFactory(student=student, reporter=people.teacher)

    long_ago = timezone.now() - datetime.timedelta(days=30)
    expected = []
    for minute in range(24):  # 12 each, interleaved: each holder's own oldest 10 would not do
        holder = people.dsl if minute % 2 else deputy
        alert = AlertFactory(
            incident=incident(),
            recipient=holder,
            created_at=long_ago + datetime.timedelta(minutes=minute),
        )
        expected.append(alert.pk)
    # Older still, but not overdue alerts to the DSL team: a colleague who holds no key, an
    # alert already read, and a key holder of another school.
    AlertFactory(incident=incident(), recipient=people.teacher, created_at=long_ago - HOUR)
    AlertFactory(
        incident=incident(), recipient=deputy, created_at=long_ago - HOUR, read_at=timezone.now()
    )
    other_incident = IncidentFactory(
        school=other_school,
        student=StudentFactory(school=other_school),
        reporter=UserFactory(school=other_school),
    )
    AlertFactory(incident=other_incident, recipient=elsewhere, created_at=long_ago - HOUR)
    page = signed_in(people.dsl).get("/dashboard/")
    assert [alert.pk for alert, _ in page.context["overdue"]] == expected[:10]
    assert page.context["more_overdue"]
