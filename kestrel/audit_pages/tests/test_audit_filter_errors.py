"""A date filter that cannot be read lists nothing, rather than everything."""

from kestrel.audit.services import record
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import StudentFactory


def test_to_before_from_shows_the_error_and_no_events(people, school, signed_in):
    child = StudentFactory(school=school)
    record(action="students.viewed", actor=people.teacher, student=child, school=school)
    client = unlock_key(signed_in(people.dsl))
    response = client.get(
        f"/audit/students/{child.pk}/",
        {
            "start_0": "10",
            "start_1": "3",
            "start_2": "2026",
            "end_0": "1",
            "end_1": "3",
            "end_2": "2026",
        },
    )
    html = response.content.decode()
    assert "To must be the same as or after From." in html
    assert "Correct the dates above to see the trail." in html
    assert response.context["rows"] == []


def test_a_page_number_alone_is_not_a_date_filter(people, school, signed_in):
    child = StudentFactory(school=school)
    client = unlock_key(signed_in(people.dsl))
    html = client.get(f"/audit/students/{child.pk}/", {"page": "2"}).content.decode()
    assert "between these dates" not in html


def test_a_students_details_cannot_be_changed_while_names_are_hidden(people, school, signed_in):
    child = StudentFactory(school=school, legal_first_name="Leah")
    client = signed_in(people.admin)
    client.post("/hide-names/", {"next": "/school/"})
    client.post(
        f"/school/students/{child.pk}/",
        {"legal_first_name": "Changed", "legal_last_name": "Name", "year_group": "1"},
    )
    child.refresh_from_db()
    assert child.legal_first_name == "Leah"
