"""The DSL's category and pattern report: incidents month by month narrowed by category, year
group, registration group and vulnerable group; the students with the most incidents this term;
the alerts unread longest; actions by staff member. Audited with its filters, no child data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    ActionFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
)

URL = reverse("report_pages:patterns")


@pytest.fixture
def dsl_client(client, people, signed_in):
    signed_in(people.dsl)
    return unlock_key(client)


@pytest.fixture
def school_file(people, levels):
    school = people.dsl.school
    home = CategoryFactory(school=school, name="Home Issues", access_level=levels.staff)
    bullying = CategoryFactory(school=school, name="Bullying", access_level=levels.staff)
    secret = CategoryFactory(school=school, name="Sealed", access_level=levels.dsl)
    ruby = StudentFactory(
        school=school,
        legal_first_name="Ruby",
        legal_last_name="Ashworth",
        year_group=3,
        tutor_group="3A",
        pupil_premium=True,
    )
    theo = StudentFactory(
        school=school,
        legal_first_name="Theo",
        legal_last_name="Baines",
        year_group=5,
        tutor_group="5B",
    )
    now = timezone.now()
    for _ in range(3):
        IncidentFactory(student=ruby, categories=[home], occurred_at=now)
    first = IncidentFactory(student=theo, categories=[bullying], occurred_at=now)
    IncidentFactory(student=theo, categories=[secret], occurred_at=now)
    return {"home": home, "bullying": bullying, "ruby": ruby, "theo": theo, "first": first}


def section(page: str, key: str) -> str:
    return page.split(f'data-table="{key}"')[1].split("</table>")[0]


def test_the_report_counts_and_lists_what_the_key_opens(dsl_client, school_file):
    page = dsl_client.get(URL).content.decode()
    assert "5 incidents from" in page
    students = section(page, "students")
    assert students.index("Ruby Ashworth") < students.index("Theo Baines")
    assert ">3<" in students and ">2<" in students
    event = AuditEvent.objects.get(action="reports.patterns_viewed")
    assert event.detail == {"filters": {}, "students": 2}


@pytest.mark.parametrize(
    ("query", "total", "listed", "left_out"),
    [
        ({"year_group": "5"}, 2, "Theo Baines", "Ruby Ashworth"),
        ({"tutor_group": "3A"}, 3, "Ruby Ashworth", "Theo Baines"),
        ({"group": "pupil_premium"}, 3, "Ruby Ashworth", "Theo Baines"),
    ],
)
def test_the_filters_narrow_the_incidents(dsl_client, school_file, query, total, listed, left_out):
    page = dsl_client.get(URL, query).content.decode()
    assert f"{total} incidents from" in page
    students = section(page, "students")
    assert listed in students and left_out not in students


def test_the_category_filter(dsl_client, school_file):
    page = dsl_client.get(URL, {"category": school_file["bullying"].pk}).content.decode()
    assert "1 incident from" in page
    assert AuditEvent.objects.get(action="reports.patterns_viewed").detail["filters"] == {
        "category": school_file["bullying"].pk
    }


def test_incidents_above_the_key_are_left_out(dsl_client, school_file, people, levels):
    people.dsl.access_level = levels.staff
    people.dsl.save()
    page = dsl_client.get(URL).content.decode()
    assert "4 incidents from" in page


def test_alerts_unread_longest_come_first_and_read_ones_are_not_listed(
    dsl_client, school_file, people
):
    incident = school_file["first"]
    now = timezone.now()
    AlertFactory(
        incident=incident, recipient=people.teacher, created_at=now - datetime.timedelta(days=2)
    )
    AlertFactory(
        incident=incident, recipient=people.dsl, created_at=now - datetime.timedelta(days=9)
    )
    AlertFactory(
        incident=incident,
        recipient=people.admin,
        created_at=now - datetime.timedelta(days=20),
        read_at=now,
    )
    unread = section(dsl_client.get(URL).content.decode(), "unread")
    assert unread.index("Chloe Kelan") < unread.index("James Carter")
    assert "School Office" not in unread


def test_actions_by_staff_member(dsl_client, school_file, people):
    for _ in range(2):
        ActionFactory(incident=school_file["first"], author=people.teacher)
    ActionFactory(incident=school_file["first"], author=people.dsl)
    actions = section(dsl_client.get(URL).content.decode(), "actions")
    assert actions.index("James Carter") < actions.index("Chloe Kelan")
    assert ">2<" in actions


def test_a_filter_that_is_not_offered_says_so_and_keeps_the_others(dsl_client, school_file):
    page = dsl_client.get(URL, {"category": "999999", "tutor_group": "3A"}).content.decode()
    assert "There is a problem" in page
    assert 'value="3A" selected' in page
    assert "data-table" not in page
    assert not AuditEvent.objects.filter(action="reports.patterns_viewed").exists()


def test_the_report_takes_as_many_queries_for_1_incident_as_for_30(dsl_client, people, levels):
    school = people.dsl.school
    home = CategoryFactory(school=school, access_level=levels.staff)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert dsl_client.get(URL).status_code == 200
        return len(captured)

    IncidentFactory(student=StudentFactory(school=school, tutor_group="1A"), categories=[home])
    queries()
    one = queries()
    for n in range(10):
        child = StudentFactory(school=school, tutor_group=f"{n}B")
        incident = IncidentFactory(student=child, categories=[home])
        AlertFactory(incident=incident, recipient=people.teacher)
        ActionFactory(incident=incident, author=people.dsl)
    assert queries() == one
