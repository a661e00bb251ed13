"""Students: the DSL team finds a child and opens their chronology."""

import re

import pytest

from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import StudentFactory

PAGE = "/students/"


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


def found(response) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(r'<a class="govuk-link" href="/students/(\d+)/">', response.text)
    ]


def test_a_student_is_found_without_accents_and_leads_to_their_chronology(
    dsl, school, other_school
):
    zoe = StudentFactory(school=school, legal_first_name="Zoë", legal_last_name="Wójcik")
    left = StudentFactory(
        school=school, legal_first_name="Zoe", legal_last_name="Adams", on_roll=False
    )
    StudentFactory(school=other_school, legal_first_name="Zoe", legal_last_name="Elsewhere")

    response = dsl.get(PAGE, {"q": "zoe"})

    assert found(response) == [zoe.pk, left.pk]  # on roll first
    assert "2 students found" in response.text
    assert response.text.count(">Left</strong>") == 1
    assert "Elsewhere" not in response.text


def test_finding_students_is_recorded_and_a_short_or_empty_search_lists_nobody(dsl, people, school):
    StudentFactory(school=school, legal_first_name="Hannah")

    assert "Type at least 2 letters" in dsl.get(PAGE, {"q": "h"}).text
    assert found(dsl.get(PAGE)) == []
    assert "No student matches." in dsl.get(PAGE, {"q": "nobody"}).text
    assert not AuditEvent.objects.filter(action="students.searched").exists()

    dsl.get(PAGE, {"q": "hannah"})

    [event] = AuditEvent.objects.filter(action="students.searched")
    assert (event.actor, event.detail) == (people.dsl, {"results": 1, "characters": 6})


def test_a_long_list_shows_the_first_50_and_says_there_are_more(dsl, school):
    for n in range(51):
        StudentFactory(school=school, legal_last_name=f"Pupil{n:03d}", tutor_group="5P")

    response = dsl.get(PAGE, {"q": "5p"})

    assert len(found(response)) == 50
    assert "The first 50 students found" in response.text
    assert "More students match" in response.text


def test_under_hide_names_the_list_stars_out_names_and_dates_of_birth(dsl, school):
    StudentFactory(school=school, legal_first_name="Hannah", legal_last_name="Greenwood")
    dsl.post("/hide-names/", {"next": PAGE})

    html = dsl.get(PAGE, {"q": "hannah"}).text

    assert "Greenwood" not in html and "***** *****" in html
    assert "Hidden" in html


def test_only_key_holders_see_students_in_the_menu(signed_in, people, dsl):
    assert 'href="/students/"' in dsl.get("/dashboard/").text
    assert 'href="/students/"' not in signed_in(people.teacher).get("/dashboard/").text
