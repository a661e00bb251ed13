"""Where a message waits for the next page: a signed cookie only for messages without child data."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kestrel import notices
from kestrel.testing.factories import AlertFactory, IncidentFactory, StudentFactory

COOKIE = CookieStorage.cookie_name


def session_writes(context) -> list[str]:
    return [q["sql"] for q in context.captured_queries if "django_session" in q["sql"].lower()]


def test_marking_an_alert_as_read_says_so_from_a_cookie_without_a_session_write(
    people, school, signed_in
):
    student = StudentFactory(school=school, legal_first_name="Hannah")
    alert = AlertFactory(incident=IncidentFactory(student=student), recipient=people.teacher)
    client = signed_in(people.teacher)
    client.get("/dashboard/")  # the session's renewal is not what is measured
    with CaptureQueriesContext(connection) as context:
        response = client.post(f"/alerts/{alert.pk}/read/")
    assert response.status_code == 302
    assert not [sql for sql in session_writes(context) if not sql.lstrip().startswith("SELECT")]
    assert client.cookies[COOKIE].value  # the message, signed
    with CaptureQueriesContext(connection) as context:
        page = client.get(response["Location"])
    assert "The alert has been marked as read." in page.content.decode()
    assert not [sql for sql in session_writes(context) if not sql.lstrip().startswith("SELECT")]
    # Shown once: the cookie is cleared by the page that showed it.
    assert client.cookies[COOKIE].value == ""
    assert "marked as read" not in client.get("/dashboard/").content.decode()


def storage_for(request):
    request._messages = notices.MessageStorage(request)
    return request._messages


def stored(request, response) -> tuple[str, list]:
    """What went to the cookie (its raw value, or '') and what went to the session."""
    request._messages.update(response)
    cookie = response.cookies.get(COOKIE)
    return (cookie.value if cookie else ""), request.session.get("_messages")


@pytest.fixture
def request_with_session(db):
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    request = RequestFactory().get("/")
    request.session = SessionStore()
    return request, HttpResponse()


def test_a_message_without_child_data_waits_in_a_signed_cookie(request_with_session):
    request, response = request_with_session
    storage_for(request)
    notices.success(request, "Your action has been added.")
    cookie, session = stored(request, response)
    assert cookie and session is None
    # Read back by the next request, from the cookie alone.
    following = RequestFactory().get("/")
    following.COOKIES[COOKIE] = cookie
    following.session = request.session
    assert [str(m) for m in notices.MessageStorage(following)] == ["Your action has been added."]


def test_a_message_that_may_name_a_child_never_leaves_the_server(request_with_session):
    request, response = request_with_session
    storage_for(request)
    messages.success(request, "Hannah Greenwood has been added.")
    cookie, session = stored(request, response)
    assert not cookie
    assert "Hannah Greenwood" in str(session)


def test_one_message_that_may_name_a_child_keeps_them_all_on_the_server(request_with_session):
    request, response = request_with_session
    storage_for(request)
    notices.success(request, "Your action has been added.")
    messages.info(request, "Hannah Greenwood left on 3 March.")
    cookie, session = stored(request, response)
    assert not cookie
    assert "Hannah Greenwood" in str(session) and "Your action" in str(session)


def test_a_forged_cookie_is_ignored(request_with_session):
    request, _ = request_with_session
    request.COOKIES[COOKIE] = "forged:value"
    assert list(notices.MessageStorage(request)) == []
