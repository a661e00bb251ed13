"""Queries per page: the same for one record as for many, and at most 12 on every page.

The pages are those `make bench` loads. Each is requested with a little data and then with much
more (more incidents, actions, alerts, links, corrections, files and staff), and must send the
same number of queries both times. (An incident's linked students, corrections, actions and
files are read only when it has any: one of each is "a little".) The tests run outside a test
transaction, with the database task queue that production uses, so that the count is what a
real request sends. Transaction control (BEGIN, COMMIT, savepoints) is not counted as a query.
"""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kestrel.alerts.models import Alert
from kestrel.files.models import Attachment
from kestrel.incidents.models import Correction, Incident
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    ActionFactory,
    AgencyFactory,
    AlertFactory,
    AlertGroupFactory,
    CategoryFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
    UserFactory,
)
from kestrel.testing.queries import data_queries

# At most this many statements for every page, reading or writing (the target).
READ_LIMIT = WRITE_LIMIT = 12

serial = itertools.count(1)


def statements(client, method: str, url: str, data=None, status=200) -> int:
    """SQL statements one request sends, after a first request has renewed the session."""
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as context:
        response = getattr(client, method)(url, data or {})
    assert response.status_code == status, (url, response.status_code)
    return len(data_queries(context))


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    """Emails are queued as production queues them (a row for the worker), not sent inline."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def world(transactional_db, school, levels, people):
    hannah = StudentFactory(school=school, legal_first_name="Hannah", legal_last_name="Greenwood")
    main = CategoryFactory(school=school, name="Child Protection", access_level=levels.dsl)
    sub = CategoryFactory(school=school, name="Neglect", parent=main, access_level=levels.dsl)
    home = CategoryFactory(school=school, name="Home Issues", access_level=levels.staff)
    group = AlertGroupFactory(school=school, name="SLT")
    group.members.set([people.dsl, people.teacher])
    agency = AgencyFactory(school=school, name="Police")
    return {"hannah": hannah, "categories": [main, sub, home], "group": group, "agency": agency}


def grow_incident(incident, people, school, *, size: int) -> None:
    """Gives an incident `size` actions, linked students, alerts, corrections and files."""
    for n in range(size):
        colleague = UserFactory(school=school, access_level=people.teacher.access_level)
        action = ActionFactory(incident=incident, author=colleague, snapshot={"agencies": ["X"]})
        AlertFactory(incident=incident, recipient=colleague, read_at=timezone.now())
        AlertFactory(incident=incident, action=action, recipient=people.teacher)
        LinkedStudentFactory(incident=incident, student=StudentFactory(school=school))
        Correction.objects.create(
            incident=incident, author=people.dsl, text=f"Corrected {n}", reason="Typo"
        )
        Attachment.objects.create(
            school=school,
            uploaded_by=colleague,
            incident=incident,
            original_name=f"note-{n}.pdf",
            stored_name=f"attachments/{next(serial)}.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
        )


def incident_about(world, people, **fields) -> Incident:
    return IncidentFactory(
        student=world["hannah"],
        reporter=fields.pop("reporter", people.teacher),
        categories=world["categories"],
        **fields,
    )


def test_dashboard_for_a_teacher_and_for_the_dsl_team(world, people, school, signed_in):
    teacher = signed_in(people.teacher)
    AlertFactory(
        incident=incident_about(world, people, reporter=people.dsl), recipient=people.teacher
    )
    incident_about(world, people)
    few = statements(teacher, "get", "/dashboard/")
    week_ago = timezone.now() - datetime.timedelta(days=6)
    for _ in range(30):
        incident = incident_about(world, people, reporter=people.dsl)
        AlertFactory(incident=incident, recipient=people.teacher)
        AlertFactory(incident=incident, recipient=people.dsl, created_at=week_ago)
        ActionFactory(incident=incident, author=people.teacher)
        incident_about(world, people)
    assert statements(teacher, "get", "/dashboard/") == few <= READ_LIMIT
    dsl = signed_in(people.dsl)
    assert statements(dsl, "get", "/dashboard/") <= READ_LIMIT


def test_the_dsl_teams_late_encompass_notifications_cost_one_query_however_many(
    world, people, school, signed_in
):
    """The Dashboard's list of Operation Encompass notifications not acknowledged in time is
    one query for key holders, whether there are none or many, and none for anyone else."""
    from kestrel.incidents.models import EncompassNotification

    AlertFactory(incident=incident_about(world, people), recipient=people.dsl)
    dsl = signed_in(people.dsl)

    def encompass_queries(client) -> tuple[int, int]:
        client.get("/dashboard/")
        with CaptureQueriesContext(connection) as context:
            assert client.get("/dashboard/").status_code == 200
        queries = data_queries(context)
        return len(queries), sum("encompassnotification" in sql.lower() for sql in queries)

    none, read = encompass_queries(dsl)
    assert read == 1
    past = timezone.now() - datetime.timedelta(days=3)
    for n in range(15):
        EncompassNotification.objects.create(
            school=school,
            incident=incident_about(world, people),
            police_reference=f"REF{n}",
            abuse_occurred_at=past,
            received_at=past,
            due_at=past if n < 12 else timezone.now() + datetime.timedelta(days=1),
        )
    assert encompass_queries(dsl) == (none, 1)
    assert none <= READ_LIMIT
    assert encompass_queries(signed_in(people.teacher))[1] == 0


def test_viewing_incident_as_the_dsl_and_as_an_alerted_teacher(world, people, school, signed_in):
    # Linked students, corrections, actions and files are read only when an incident has any:
    # one of each costs what fifteen of each cost, and a bare incident no more.
    bare = incident_about(world, people, reporter=people.dsl)
    small = incident_about(world, people, reporter=people.dsl)
    large = incident_about(world, people, reporter=people.dsl)
    for incident in (bare, small, large):
        AlertFactory(incident=incident, recipient=people.teacher)
    grow_incident(small, people, school, size=1)
    grow_incident(large, people, school, size=15)
    dsl = unlock_key(signed_in(people.dsl))
    teacher = signed_in(people.teacher)
    for client in (dsl, teacher):
        most = statements(client, "get", f"/incidents/{small.pk}/")
        assert statements(client, "get", f"/incidents/{large.pk}/") == most <= READ_LIMIT
        assert statements(client, "get", f"/incidents/{bare.pk}/") == most - 4


def test_chronology_of_one_entry_and_of_many_pages(world, people, school, signed_in):
    hannah = world["hannah"]
    quiet = StudentFactory(school=school)
    alone = IncidentFactory(student=quiet, reporter=people.teacher, categories=world["categories"])
    dsl = unlock_key(signed_in(people.dsl))
    bare = statements(dsl, "get", f"/students/{quiet.pk}/")
    ActionFactory(incident=alone, author=people.dsl)
    Correction.objects.create(incident=alone, author=people.dsl, text="C", reason="R")
    one = statements(dsl, "get", f"/students/{quiet.pk}/")  # one action, one correction
    assert bare == one - 2
    for n in range(60):
        incident = incident_about(world, people)
        ActionFactory(incident=incident, author=people.dsl, add_to_linked_students=True)
        if n % 3 == 0:
            Correction.objects.create(incident=incident, author=people.dsl, text="C", reason="R")
        # Hannah linked to someone else's incidents too: they are on her chronology.
        LinkedStudentFactory(
            student=hannah,
            incident=IncidentFactory(
                student=StudentFactory(school=school),
                reporter=people.teacher,
                categories=world["categories"],
            ),
        )
    main = world["categories"][0]
    assert statements(dsl, "get", f"/students/{hannah.pk}/") == one <= READ_LIMIT
    first = dsl.get(f"/students/{hannah.pk}/").context["page"]
    assert statements(dsl, "get", f"/students/{hannah.pk}/?older={first.older}") == one
    filtered = f"/students/{hannah.pk}/?category={main.pk}&older={first.older}"
    assert statements(dsl, "get", filtered) == one


def test_type_ahead_for_students_and_for_staff(world, people, school, signed_in):
    teacher = signed_in(people.teacher)
    students = statements(teacher, "get", "/students/search/", {"q": "Hannah"})
    staff = statements(teacher, "get", "/staff/search/", {"q": "Chloe"})
    for _ in range(30):
        StudentFactory(school=school, legal_first_name="Hannah")
        UserFactory(school=school, first_name="Chloe", access_level=people.teacher.access_level)
    assert statements(teacher, "get", "/students/search/", {"q": "Hannah"}) == students
    assert statements(teacher, "get", "/staff/search/", {"q": "Chloe"}) == staff
    assert max(students, staff) <= READ_LIMIT


def test_add_action_page_and_post_with_four_alerts(world, people, school, signed_in):
    small = incident_about(world, people, reporter=people.dsl)
    large = incident_about(world, people, reporter=people.dsl)
    grow_incident(small, people, school, size=1)
    grow_incident(large, people, school, size=15)
    dsl = unlock_key(signed_in(people.dsl))
    page = statements(dsl, "get", f"/incidents/{small.pk}/actions/add/")
    assert statements(dsl, "get", f"/incidents/{large.pk}/actions/add/") == page <= READ_LIMIT
    four = [UserFactory(school=school).pk for _ in range(4)]

    def post(incident) -> int:
        now = timezone.localtime() - datetime.timedelta(minutes=1)
        data = {
            "submission": f"{next(serial):032d}",
            "text": "Rang mum; she will collect Hannah today.",
            "agencies": [world["agency"].pk],
            "occurred_on_0": now.day,
            "occurred_on_1": now.month,
            "occurred_on_2": now.year,
            "occurred_time": now.strftime("%H:%M"),
            "alert_staff": four,
        }
        return statements(dsl, "post", f"/incidents/{incident.pk}/actions/add/", data, 302)

    assert post(small) == post(large) <= WRITE_LIMIT
    assert Alert.objects.filter(action__incident=large, recipient_id__in=four).count() == 4


def test_add_incident_post_with_four_alerts(world, people, school, signed_in):
    four = [UserFactory(school=school).pk for _ in range(4)]
    teacher = signed_in(people.teacher)

    def post(*, autosaved: bool = False) -> int:
        now = timezone.localtime() - datetime.timedelta(minutes=1)
        data = {
            "submission": f"{next(serial):032d}",
            "student": world["hannah"].pk,
            "text": "Hannah said her dad waited at the gate again.",
            "categories": [world["categories"][2].pk],
            "occurred_on_0": now.day,
            "occurred_on_1": now.month,
            "occurred_on_2": now.year,
            "occurred_time": now.strftime("%H:%M"),
            "alert_staff": four,
        }
        if autosaved:  # as the page does while it is typed: the draft is there to go
            teacher.post("/incidents/drafts/save/", data)
        return statements(teacher, "post", "/incidents/add/", data, 302)

    first = post()
    for _ in range(30):
        grow_incident(incident_about(world, people), people, school, size=1)
    assert post() == post(autosaved=True) == first <= WRITE_LIMIT
    assert Alert.objects.filter(recipient_id__in=four, action__isnull=True).count() == 12


def test_mark_as_read(world, people, school, signed_in):
    teacher = signed_in(people.teacher)
    first = AlertFactory(incident=incident_about(world, people), recipient=people.teacher)
    one = statements(teacher, "post", f"/alerts/{first.pk}/read/", status=302)
    for _ in range(30):
        AlertFactory(incident=incident_about(world, people), recipient=people.teacher)
    last = AlertFactory(incident=incident_about(world, people), recipient=people.teacher)
    assert statements(teacher, "post", f"/alerts/{last.pk}/read/", status=302) == one
    assert one <= READ_LIMIT
