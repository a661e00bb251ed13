"""The administrator's student pages under School set-up: search, the on roll and left filters,
pages of 50, and the audit of every look at the list or at a student."""

import datetime
import re

import pytest
from django.urls import reverse

from kestrel.audit.models import AuditEvent
from kestrel.school_setup.tests.test_school_setup_sections import form_fields
from kestrel.students.upn import make_upn
from kestrel.testing.factories import StudentFactory

LIST = reverse("schools:section", args=["students"])
HANNAH_UPN = make_upn(886, 3001, 21, 101)


@pytest.fixture
def admin(signed_in, people):
    return signed_in(people.admin)


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school,
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        preferred_first_name="Annie",
        preferred_last_name="Woods",
        upn=HANNAH_UPN,
        tutor_group="1B",
        year_group=1,
    )


@pytest.fixture
def oliver(school):
    return StudentFactory(
        school=school,
        legal_first_name="Oliver",
        legal_last_name="Brennan",
        upn=make_upn(886, 3001, 21, 102),
        tutor_group="4C",
        year_group=4,
    )


@pytest.fixture
def leaver(school):
    return StudentFactory(
        school=school,
        legal_first_name="Maya",
        legal_last_name="Okafor",
        upn=make_upn(886, 3001, 21, 103),
        tutor_group="6A",
        on_roll=False,
        left_on=datetime.date(2024, 7, 19),
    )


def listed(response) -> set[int]:
    """The students the list shows, by the links to their pages."""
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r'href="/school/students/(\d+)/"', response.text)}


@pytest.mark.parametrize(
    "query",
    ["Hannah", "greenwood", "Annie", "WOODS", HANNAH_UPN.lower(), HANNAH_UPN[5:], "1B"],
    ids=[
        "legal-first",
        "legal-last",
        "preferred-first",
        "preferred-last",
        "upn",
        "upn-part",
        "registration-group",
    ],
)
def test_student_search_finds_a_student_by_any_of_their_names_upn_or_group(
    admin, hannah, oliver, query
):
    response = admin.get(LIST, {"q": query})

    assert listed(response) == {hannah.pk}
    assert "1 student matching" in response.text


def test_student_search_with_two_words_needs_both(admin, hannah, oliver):
    assert listed(admin.get(LIST, {"q": "Annie Greenwood"})) == {hannah.pk}
    assert listed(admin.get(LIST, {"q": "Annie Brennan"})) == set()


def test_student_search_that_matches_nobody_says_so(admin, hannah):
    response = admin.get(LIST, {"q": "Zebedee"})

    assert listed(response) == set()
    assert "0 students matching “Zebedee”" in response.text


def test_the_list_shows_every_student_by_default_with_their_status(admin, hannah, leaver):
    response = admin.get(LIST)

    assert listed(response) == {hannah.pk, leaver.pk}
    rows = {student.pk: cells for student, cells in response.context["table"]}
    assert rows[hannah.pk][:2] == ["Annie Woods", "Hannah Greenwood"]  # known as, legal name
    assert (rows[hannah.pk][-1], rows[leaver.pk][-1]) == ("On roll", "Left")
    assert '<td class="govuk-table__cell">Left</td>' in response.text


def test_the_on_roll_filter_hides_students_who_have_left(admin, hannah, oliver, leaver):
    assert listed(admin.get(LIST, {"status": "on_roll"})) == {hannah.pk, oliver.pk}


def test_the_left_filter_shows_only_students_who_have_left(admin, hannah, leaver):
    assert listed(admin.get(LIST, {"status": "left"})) == {leaver.pk}


def test_the_search_and_the_filter_work_together(admin, hannah, leaver):
    assert listed(admin.get(LIST, {"q": "Okafor", "status": "on_roll"})) == set()
    assert listed(admin.get(LIST, {"q": "Okafor", "status": "left"})) == {leaver.pk}


@pytest.mark.parametrize("status", ["expelled", "left\x00", "x" * 5000])
def test_an_unknown_filter_shows_everyone_and_is_not_recorded(
    school, admin, hannah, leaver, status
):
    for _ in range(50):
        StudentFactory(school=school)

    response = admin.get(LIST, {"status": status})

    assert len(listed(response)) == 50
    assert response.context["page"].paginator.count == 52
    pagination = response.text[response.text.index('class="govuk-pagination"') :]
    assert "?page=2" in pagination
    assert "status=" not in pagination  # an unknown filter is not carried into page links
    assert AuditEvent.objects.get(action="students.listed").detail["status"] == ""


def test_a_student_marked_as_left_stays_in_the_list_under_left(admin, hannah):
    url = reverse("schools:edit", args=["students", hannah.pk])
    data = {
        "legal_first_name": "Hannah",
        "legal_last_name": "Greenwood",
        "preferred_first_name": "Annie",
        "preferred_last_name": "Woods",
        "date_of_birth_0": "27",
        "date_of_birth_1": "3",
        "date_of_birth_2": "2017",
        "upn": HANNAH_UPN,
        "year_group": "1",
        "tutor_group": "1B",
        "left_on_0": "19",
        "left_on_1": "7",
        "left_on_2": "2024",
    }

    response = admin.post(url, data)

    assert response.status_code == 302
    hannah.refresh_from_db()
    assert (hannah.on_roll, hannah.left_on) == (False, datetime.date(2024, 7, 19))
    assert listed(admin.get(LIST, {"status": "left"})) == {hannah.pk}
    assert listed(admin.get(LIST, {"status": "on_roll"})) == set()
    assert admin.get(url).status_code == 200


def test_the_list_shows_50_students_a_page(school, admin):
    for n in range(51):
        StudentFactory(school=school, legal_last_name=f"Pupil{n:03d}", tutor_group="5P")

    first = admin.get(LIST)
    second = admin.get(LIST, {"page": "2"})

    assert len(listed(first)) == 50
    assert len(listed(second)) == 1
    assert listed(first).isdisjoint(listed(second))
    assert 'aria-label="Page 1" aria-current="page">1<' in first.text
    assert 'href="?page=2" aria-label="Page 2">2<' in first.text
    assert 'aria-label="Page 2" aria-current="page">2<' in second.text
    assert 'rel="next"' in first.text
    assert 'rel="prev"' in second.text
    assert "51 students" in first.text


def test_pages_keep_the_search_and_the_filter(school, admin):
    for n in range(55):
        StudentFactory(school=school, legal_last_name=f"Pupil{n:03d}", tutor_group="5P")
    StudentFactory(school=school, legal_last_name="Elsewhere", tutor_group="2R")

    response = admin.get(LIST, {"q": "5P", "status": "on_roll"})

    assert "55 students" in response.text
    assert "?q=5P&amp;status=on_roll&amp;page=2" in response.text


@pytest.mark.parametrize("page", ["99", "0", "last-one", "-1"])
def test_a_page_number_out_of_range_shows_a_page_rather_than_an_error(school, admin, page):
    for _ in range(3):
        StudentFactory(school=school)

    assert len(listed(admin.get(LIST, {"page": page}))) == 3


def test_a_very_long_search_is_cut_short_rather_than_refused(admin, hannah):
    response = admin.get(LIST, {"q": "Hannah " + "x" * 5000})

    assert response.status_code == 200
    assert len(response.context["query"]) == 100


def test_viewing_the_student_list_is_audited(admin, people, school, hannah):
    admin.get(LIST, {"q": "Hannah", "status": "on_roll"})

    event = AuditEvent.objects.get(action="students.listed")
    assert (event.actor, event.school, event.student) == (people.admin, school, None)
    assert event.detail == {"query": "Hannah", "status": "on_roll", "page": 1}


def test_each_look_at_the_list_is_a_separate_audit_event(admin, hannah):
    admin.get(LIST)
    admin.get(LIST, {"page": "1"})

    assert AuditEvent.objects.filter(action="students.listed").count() == 2


def test_opening_a_student_is_audited_with_the_student(admin, people, school, hannah):
    response = admin.get(reverse("schools:edit", args=["students", hannah.pk]))

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="students.viewed")
    assert event.student == hannah
    assert (event.actor, event.school) == (people.admin, school)
    assert (event.object_type, event.object_id) == ("students.student", str(hannah.pk))
    assert event.object_label == "Annie Woods (1B)"


def test_lists_of_other_sections_are_not_audited_as_child_data(admin, hannah):
    admin.get(reverse("schools:section", args=["agencies"]))
    admin.get(reverse("schools:section", args=["staff"]))

    assert not AuditEvent.objects.filter(action__endswith=".listed").exists()


def test_another_schools_administrator_opening_a_student_is_not_audited_as_a_view(
    signed_in, people, hannah
):
    response = signed_in(people.other_admin).get(
        reverse("schools:edit", args=["students", hannah.pk])
    )

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="students.viewed").exists()


def test_the_edit_page_shows_the_student_as_saved(admin, leaver):
    response = admin.get(reverse("schools:edit", args=["students", leaver.pk]))

    shown = form_fields(response).data
    assert (shown["left_on_0"], shown["left_on_1"], shown["left_on_2"]) == (["19"], ["7"], ["2024"])
    assert (shown["date_of_birth_0"], shown["date_of_birth_2"]) == (["27"], ["2017"])
    assert "on_roll" not in shown
    assert shown["legal_last_name"] == ["Okafor"]


def test_a_search_with_a_nul_character_ignores_it(admin, hannah):
    # PostgreSQL refuses NUL in a query or in the audit event's JSON.
    response = admin.get(LIST, {"q": "Han\x00nah"})

    assert listed(response) == {hannah.pk}
    assert AuditEvent.objects.get(action="students.listed").detail["query"] == "Hannah"
