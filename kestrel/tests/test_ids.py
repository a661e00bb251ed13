"""Reading ids and page numbers from what a browser sends: anything that is not an id the
database could hold is "not found" or a form error, never a server error."""

import re

import pytest

from kestrel.access.tests.test_url_access_matrix import all_urls
from kestrel.ids import is_id
from kestrel.paging import MAX_PAGE, page_number
from kestrel.school_setup.sections import SECTIONS
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import IncidentFactory, StudentFactory


@pytest.mark.parametrize("value", ["0", "7", "123456", 42])
def test_ascii_digits_are_ids(value):
    assert is_id(value)


@pytest.mark.parametrize("value", ["", "-1", "1.5", " 1", "²", "٣", "１２", "⁴²", "1e3", None])
def test_anything_else_is_not(value):
    assert not is_id(value)


def test_the_largest_id_the_database_holds_is_an_id():
    assert is_id("9223372036854775807")
    assert is_id(2**63 - 1)


@pytest.mark.parametrize("value", ["9223372036854775808", "9" * 25, "1" + "0" * 100])
def test_a_number_past_the_databases_largest_id_is_not(value):
    assert not is_id(value)


BIG = "9" * 25


@pytest.mark.parametrize(
    "url",
    [
        f"/dashboard/?page={BIG}",
        f"/dashboard/?page=-{BIG}",
        f"/alerts/next/?after={BIG}",
        f"/incidents/{BIG}/",
        f"/incidents/{BIG}/actions/add/",
        f"/incidents/{BIG}/correct/",
        f"/students/{BIG}/",
        f"/students/search/?q=ha&page={BIG}",
        f"/audit/?page={BIG}",
    ],
)
def test_25_digits_in_a_url_or_page_number_are_never_a_server_error(people, signed_in, url):
    client = signed_in(people.dsl)
    unlock_key(client)
    client.raise_request_exception = False
    assert client.get(url).status_code in (200, 302, 404)


def _routes_with_ids():
    for name, route, _ in all_urls():
        if "<int:" in route:
            slugs = SECTIONS if "<slug:" in route else [""]
            for slug in slugs:
                path = re.sub(r"<int:\w+>", BIG, route.replace("<slug:slug>", slug))
                yield pytest.param("/" + path, id=f"{name}:{slug}" if slug else name)


@pytest.mark.parametrize("path", list(_routes_with_ids()))
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_url_with_an_id_answers_25_digits_with_not_found(people, signed_in, path, method):
    for user in (people.dsl, people.admin):
        client = signed_in(user)
        unlock_key(client)
        client.raise_request_exception = False
        assert getattr(client, method)(path).status_code in (302, 403, 404, 405)


def test_a_25_digit_page_of_a_chronology_shows_its_last_page(school, people, signed_in):
    student = StudentFactory(school=school)
    IncidentFactory(student=student, reporter=people.teacher)
    client = signed_in(people.dsl)
    unlock_key(client)
    response = client.get(f"/students/{student.pk}/", {"page": BIG})
    assert response.status_code == 200
    assert "Said something at lunch" in response.content.decode()


def test_page_numbers_are_bounded():
    assert page_number(BIG) == MAX_PAGE
    assert page_number("2") == 2
    assert page_number("-3") == 1
    assert page_number("x") == 1


def test_a_25_digit_member_of_an_alert_group_is_refused_not_a_server_error(people, signed_in):
    response = signed_in(people.admin).post(
        "/school/alert-groups/add/", {"name": "SLT", "members": [BIG], "is_active": "on"}
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
