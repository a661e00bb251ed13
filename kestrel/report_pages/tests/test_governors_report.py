"""The governors' report: anonymised counts by term and year to date, small numbers hidden, the
same figures on the page, in the PDF and in the CSV, each view recorded in the audit trail."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kestrel.access.policies import Viewer
from kestrel.audit.models import AuditEvent
from kestrel.casefile import services as casefile
from kestrel.reports.governors import governors_report
from kestrel.reports.suppression import FEWER_THAN, NOT_SHOWN
from kestrel.reports.terms import easter_sunday, school_year, standard_terms
from kestrel.school_calendar.models import Term
from kestrel.schools.scope import scope
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    CategoryFactory,
    IncidentFactory,
    RequirementFactory,
    StudentFactory,
    TrainingRecordFactory,
)

TODAY = datetime.date(2026, 12, 8)


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10), timezone.get_current_timezone())


@pytest.fixture
def categories(school, levels):
    return {
        "home": CategoryFactory(school=school, name="Home Issues", access_level=levels.staff),
        "bullying": CategoryFactory(school=school, name="Bullying", access_level=levels.staff),
        "cp": CategoryFactory(school=school, name="Child Protection", access_level=levels.dsl),
    }


def incidents(n, category, *, day=datetime.date(2026, 10, 1), **student):
    for _ in range(n):
        child = StudentFactory(school=category.school, **student)
        IncidentFactory(student=child, categories=[category], occurred_at=at(day))


def report(people, today=TODAY):
    viewer = Viewer(user=people.dsl, key_unlocked=True)
    with scope(school=people.dsl.school_id):
        return governors_report(viewer, people.dsl.school, today=today)


def texts(row):
    return [count.text for count in row]


def test_counts_by_category_by_term_with_small_ones_hidden(people, categories):
    incidents(12, categories["home"], year_group=3)
    incidents(3, categories["bullying"], year_group=4)
    incidents(6, categories["home"], day=datetime.date(2026, 9, 3), year_group=3)
    table = report(people).table("categories")
    assert table.columns == ["Autumn 2026"]
    lines = {name: (texts(cells), total.text) for name, cells, total in table.lines}
    assert lines["Bullying"] == ([FEWER_THAN], FEWER_THAN)
    # 21 incidents in all: with Bullying's hidden, 21 less the others would give it, so the
    # next smallest count of the column goes too (a 0 says nothing: Home Issues' 18).
    assert lines["Home Issues"] == ([NOT_SHOWN], NOT_SHOWN)
    assert texts(table.table.column_totals) == ["21"]
    assert lines["Child Protection"] == (["0"], "0")


def test_a_column_with_one_small_count_hides_the_next_smallest(people, categories):
    incidents(12, categories["home"])
    incidents(7, categories["cp"])
    incidents(2, categories["bullying"])
    table = report(people).table("categories")
    lines = {name: texts(cells) for name, cells, _ in table.lines}
    assert lines == {
        "Home Issues": ["12"],
        "Bullying": [FEWER_THAN],
        "Child Protection": [NOT_SHOWN],
    }
    assert texts(table.table.column_totals) == ["21"]


def test_the_year_to_date_covers_every_term_so_far(people, categories):
    incidents(6, categories["home"], day=datetime.date(2026, 10, 1))
    incidents(5, categories["home"], day=datetime.date(2027, 2, 1))
    incidents(9, categories["home"], day=datetime.date(2026, 7, 1))  # last school year
    incidents(2, categories["home"], day=datetime.date(2026, 3, 1))  # last school year
    result = report(people, today=datetime.date(2027, 3, 1))
    last = result.table("last_year")
    assert last.columns == ["Autumn 2025", "Spring 2026", "Summer 2026"]
    assert texts(last.table.cells[0]) == ["0", FEWER_THAN, "9"]
    table = result.table("categories")
    assert table.columns == ["Autumn 2026", "Spring 2027"]
    lines = {name: (texts(cells), total.text) for name, cells, total in table.lines}
    assert lines["Home Issues"] == (["6", "5"], "11")


def test_incidents_the_key_does_not_open_are_not_counted(people, categories, levels):
    incidents(6, categories["cp"])
    people.dsl.access_level = levels.staff
    assert report(people).table("categories").table.grand_total.value == 0


def test_by_year_group_and_vulnerable_group(people, categories):
    incidents(5, categories["home"], year_group=2, pupil_premium=True, eal=True)
    incidents(6, categories["home"], year_group=5, sen_status="K")
    result = report(people)
    years = {name: texts(cells) for name, cells, _ in result.table("year_groups").lines}
    assert years["Year 2"] == ["5"] and years["Year 5"] == ["6"]
    groups = {name: texts(cells) for name, cells, _ in result.table("vulnerable").lines}
    assert groups["Pupil premium"] == ["5"]
    assert groups["English as an additional language"] == ["5"]
    assert groups["SEN support"] == ["6"]
    assert groups["Looked after"] == ["0"]


def test_open_statuses_and_referrals_are_counted_as_children(people, categories):
    children = [StudentFactory(school=people.dsl.school) for _ in range(6)]
    for child in children:
        casefile.start_status(
            actor=people.dsl, student=child, kind="child_in_need", started_on=TODAY, note=""
        )
    casefile.start_status(
        actor=people.dsl, student=children[0], kind="early_help", started_on=TODAY, note=""
    )
    for child in children[:5]:
        casefile.record_decision(
            actor=people.dsl,
            student=child,
            kind="monitor",
            reason="Watch and wait.",
            decided_on=TODAY,
        )
    casefile.record_decision(
        actor=people.dsl, student=children[5], kind="support", reason="Mentor.", decided_on=TODAY
    )
    result = report(people)
    statuses = {name: texts(cells) for name, cells, _ in result.table("statuses").lines}
    assert statuses["Child in Need"] == ["6", "6"]
    assert statuses["Early Help (Family Help)"] == [FEWER_THAN, FEWER_THAN]
    assert statuses["Monitored in school"][0] == "5"


def test_staff_training_is_counted_by_requirement(people):
    school = people.dsl.school
    requirement = RequirementFactory(school=school, name="Safeguarding update")
    for _ in range(6):
        TrainingRecordFactory(requirement=requirement)
    name, cells, total = report(people).table("training").lines[0]
    assert name == "Safeguarding update"
    assert total.text == "9"  # the three personas and the six trained, all active staff
    # The three untrained are due soon or overdue: fewer than 5, and the 6 up to date hidden
    # with them (9 less 6 would give the 3 away).
    assert cells[0].value == 6 and cells[0].text == NOT_SHOWN
    assert FEWER_THAN in [cell.text for cell in cells[1:]]


def test_the_school_terms_are_used_when_recorded(people, categories):
    school = people.dsl.school
    Term.objects.create(
        school=school,
        name="Autumn term",
        starts_on=datetime.date(2026, 9, 2),
        ends_on=datetime.date(2026, 10, 23),
    )
    Term.objects.create(
        school=school,
        name="Autumn second half",
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2026, 12, 18),
    )
    incidents(5, categories["home"], day=datetime.date(2026, 10, 1))
    incidents(2, categories["home"], day=datetime.date(2026, 10, 28))  # half term
    with scope(school=school.pk):
        year = school_year(school, TODAY)
    assert not year.standard_terms
    table = report(people).table("categories")
    assert table.columns == ["Autumn term", "Autumn second half", "Between terms"]
    _, cells, total = next(line for line in table.lines if line[0] == "Home Issues")
    # The half term's two have a column of their own (else 7 less 5 would give them away):
    # hidden there, and the 5 beside them.
    assert texts(cells) == [NOT_SHOWN, "0", FEWER_THAN]
    assert total.text == "7"


def test_the_standard_terms_are_the_dfes():
    autumn, spring, summer = standard_terms(2026)
    assert (autumn.starts_on, autumn.ends_on) == (
        datetime.date(2026, 8, 1),
        datetime.date(2026, 12, 31),
    )
    assert (spring.starts_on, spring.ends_on) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 3, 28),
    )
    assert summer.starts_on == datetime.date(2027, 3, 29)
    assert summer.ends_on == datetime.date(2027, 7, 31)
    assert easter_sunday(2026) == datetime.date(2026, 4, 5)
    assert easter_sunday(2024) == datetime.date(2024, 3, 31)
    assert easter_sunday(2038) == datetime.date(2038, 4, 25)


@pytest.fixture
def dsl_client(client, people, signed_in):
    signed_in(people.dsl)
    return unlock_key(client)


def test_the_page_shows_the_counts_and_is_recorded_without_child_data(
    dsl_client, people, categories
):
    incidents(8, categories["home"], day=timezone.localdate())
    response = dsl_client.get(reverse("report_pages:governors"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Governors’ report" in page and "Home Issues" in page
    assert "the Department for Education’s standard terms" in page
    assert (
        '<svg width="100%"' in page
        and "Incidents each term, last school year and this: the numbers" in page
    )
    event = AuditEvent.objects.get(action="reports.governors_viewed")
    assert event.actor == people.dsl and event.student is None
    assert set(event.detail) == {"year"}


def test_the_csv_has_every_count_as_shown_and_no_cell_starts_a_formula(dsl_client, categories):
    categories["home"].name = '=HYPERLINK("http://evil")'
    categories["home"].save()
    incidents(8, categories["home"], day=timezone.localdate())
    incidents(2, categories["bullying"], day=timezone.localdate())
    response = dsl_client.get(reverse("report_pages:governors_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == ["Table", "Row", "Column", "Count"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    found = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert (
        found[("Incidents by category", '\'=HYPERLINK("http://evil")', "Year to date")] == NOT_SHOWN
    )
    assert found[("Incidents by category", "Bullying", "Year to date")] == FEWER_THAN
    assert found[("Incidents by category", "All incidents", "Year to date")] == "10"
    assert AuditEvent.objects.get(action="reports.governors_exported").detail["format"] == "csv"


def test_the_pdf_is_a_pdf_and_recorded(dsl_client, categories):
    incidents(5, categories["home"], day=timezone.localdate())
    response = dsl_client.get(reverse("report_pages:governors_pdf"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.get(action="reports.governors_exported").detail["format"] == "pdf"


def test_the_report_takes_as_many_queries_for_1_incident_as_for_40(dsl_client, categories):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert dsl_client.get(reverse("report_pages:governors")).status_code == 200
        return len(captured)

    incidents(1, categories["home"], day=timezone.localdate())
    queries()  # the first request of a session reads what later ones find kept
    one = queries()
    incidents(20, categories["bullying"], day=timezone.localdate(), pupil_premium=True)
    incidents(19, categories["cp"], day=timezone.localdate(), year_group=6)
    assert queries() == one
    assert one <= 30
