"""Sessions: 30 minutes idle, 12 hours at most, ended for real at logout and from elsewhere."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from kestrel.accounts.models import SignInSession
from kestrel.accounts.tests.steps import (
    CHROME_ON_WINDOWS,
    START,
    enter_password,
    error_text,
    session_key,
    sign_in_with_password_and_code,
)
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for

pytestmark = pytest.mark.django_db

SIGNED_OUT_AFTER_12_HOURS = "For your safety you are signed out 12 hours after signing in."


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def still_signed_in(client) -> bool:
    response = client.get("/dashboard/")
    if response.status_code == 200:
        return True
    assert response.url.startswith("/login/"), response.url
    return False


# Idle and absolute limits -------------------------------------------------------------------


def test_session_survives_29_idle_minutes(signed_in, people, clock):
    client = signed_in(people.teacher)

    clock.shift(minutes(29))

    assert still_signed_in(client)


def test_session_ends_after_30_idle_minutes(signed_in, people, clock):
    client = signed_in(people.teacher)

    clock.shift(minutes(31))

    assert not still_signed_in(client)


def test_each_request_renews_the_idle_limit(signed_in, people, clock):
    client = signed_in(people.teacher)

    for _ in range(3):
        clock.shift(minutes(25))
        assert still_signed_in(client)

    clock.shift(minutes(31))
    assert not still_signed_in(client)


def test_session_signed_in_through_the_pages_ends_after_30_idle_minutes(
    client, people, password, clock
):
    sign_in_with_password_and_code(client, people.teacher, password)

    clock.shift(minutes(31))

    assert not still_signed_in(client)


def test_session_waiting_for_a_code_also_ends_after_30_idle_minutes(
    client, people, password, clock
):
    authenticator_for(people.teacher)
    enter_password(client, "james.carter@example.org", password)

    clock.shift(minutes(31))

    assert client.get("/login/verify/").url.startswith("/login/?next=")


def test_active_session_is_ended_12_hours_after_sign_in(client, people, password, clock):
    sign_in_with_password_and_code(client, people.teacher, password)

    for _ in range(36):  # 12 hours of a request every 20 minutes
        clock.shift(minutes(20))
        assert still_signed_in(client)
    clock.shift(minutes(20))
    response = client.get("/dashboard/", follow=True)

    assert response.redirect_chain[0][0].startswith("/login/")
    assert SIGNED_OUT_AFTER_12_HOURS in error_text(response)
    assert "_auth_user_id" not in client.session
    assert not still_signed_in(client)


def test_session_from_elsewhere_starts_its_12_hours_at_its_first_request(signed_in, people, clock):
    client = signed_in(people.teacher)
    session = client.session
    del session["kestrel_signed_in_at"]
    session.save()
    client.get("/dashboard/")

    for _ in range(36):
        clock.shift(minutes(20))
        assert still_signed_in(client)
    clock.shift(minutes(20))

    assert not still_signed_in(client)


# Logging out --------------------------------------------------------------------------------


def test_logout_deletes_the_session_on_the_server(client, people, password):
    sign_in_with_password_and_code(client, people.teacher, password)
    key = session_key(client)

    response = client.post("/logout/")

    assert response.url == "/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert SignInSession.objects.get().ended_at is not None
    assert AuditEvent.objects.filter(action="signout", actor=people.teacher).count() == 1


def test_stolen_session_cookie_is_useless_after_logout(client, people, password):
    sign_in_with_password_and_code(client, people.teacher, password)
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = session_key(client)
    assert still_signed_in(stolen)

    client.post("/logout/")

    assert not still_signed_in(stolen)


def test_logout_by_get_is_refused_and_keeps_the_session(signed_in, people):
    client = signed_in(people.teacher)
    key = session_key(client)

    assert client.get("/logout/").status_code == 405
    assert Session.objects.filter(session_key=key).exists()


# Signing out everywhere else ---------------------------------------------------------------


@pytest.fixture
def two_browsers(people, password, clock):
    """The teacher signed in on a school PC and on a laptop (30 seconds apart: a fresh code)."""
    school_pc = sign_in_with_password_and_code(Client(), people.teacher, password)
    clock.shift(datetime.timedelta(seconds=30))
    laptop = sign_in_with_password_and_code(Client(), people.teacher, password)
    return school_pc, laptop


def test_sign_out_everywhere_else_ends_other_sessions_and_keeps_this_one(two_browsers, people):
    school_pc, laptop = two_browsers
    pc_key, laptop_key = session_key(school_pc), session_key(laptop)

    response = laptop.post("/account/sign-out-everywhere/", follow=True)

    assert "You have been signed out everywhere else." in error_text(response)
    assert still_signed_in(laptop)
    assert not still_signed_in(school_pc)
    assert not Session.objects.filter(session_key=pc_key).exists()
    assert Session.objects.filter(session_key=laptop_key).exists()
    event = AuditEvent.objects.get(action="signout.everywhere")
    assert (event.actor, event.detail) == (people.teacher, {"sessions_ended": 1})


def test_sign_out_everywhere_else_leaves_colleagues_signed_in(two_browsers, people, password):
    colleague = sign_in_with_password_and_code(Client(), people.dsl, password)
    _, laptop = two_browsers

    laptop.post("/account/sign-out-everywhere/")

    assert still_signed_in(colleague)


def test_sign_out_everywhere_else_with_no_other_session_says_so(client, people, password):
    sign_in_with_password_and_code(client, people.teacher, password)

    response = client.post("/account/sign-out-everywhere/", follow=True)

    assert "You were not signed in anywhere else." in error_text(response)
    assert still_signed_in(client)


def test_sign_out_everywhere_else_also_ends_a_session_waiting_for_its_code(
    client, people, password, clock
):
    sign_in_with_password_and_code(client, people.teacher, password)
    half_way = Client()
    enter_password(half_way, "james.carter@example.org", password)

    client.post("/account/sign-out-everywhere/")

    assert half_way.get("/login/verify/").url.startswith("/login/?next=")


def test_sign_out_everywhere_else_is_post_only(signed_in, people):
    assert signed_in(people.teacher).get("/account/sign-out-everywhere/").status_code == 405


def test_changing_password_keeps_this_session_and_ends_the_others(two_browsers, password):
    school_pc, laptop = two_browsers

    laptop.post(
        "/account/password/",
        {
            "old_password": password,
            "new_password1": "kettle orchard lantern 42",
            "new_password2": "kettle orchard lantern 42",
        },
    )

    assert still_signed_in(laptop)
    assert not still_signed_in(school_pc)
    assert SignInSession.objects.get(session_key=session_key(laptop)).ended_at is None


# Deactivation -------------------------------------------------------------------------------


def test_deactivating_a_user_makes_their_open_session_anonymous_at_once(client, people, password):
    sign_in_with_password_and_code(client, people.teacher, password)
    assert still_signed_in(client)

    people.teacher.is_active = False
    people.teacher.save()

    assert not still_signed_in(client)
    assert client.get("/account/").url.startswith("/login/")


# Recent sign-ins ----------------------------------------------------------------------------


def test_account_settings_lists_recent_sign_ins_with_device_and_ip(client, people, password, clock):
    sign_in_with_password_and_code(
        Client(), people.teacher, password, HTTP_USER_AGENT="", REMOTE_ADDR="198.51.100.20"
    )
    clock.shift(datetime.timedelta(seconds=30))
    sign_in_with_password_and_code(
        client,
        people.teacher,
        password,
        HTTP_USER_AGENT=CHROME_ON_WINDOWS,
        REMOTE_ADDR="203.0.113.5",
    )

    text = error_text(client.get("/account/"))

    assert "Recent sign-ins" in text
    assert "Chrome on Windows 203.0.113.5 This session" in text
    assert "Unknown device 198.51.100.20 Signed in" in text


def test_recent_sign_ins_show_only_the_users_own(client, people, password):
    sign_in_with_password_and_code(Client(), people.dsl, password, REMOTE_ADDR="198.51.100.99")
    sign_in_with_password_and_code(client, people.teacher, password)

    assert "198.51.100.99" not in client.get("/account/").content.decode()


def test_ended_sign_in_is_shown_as_signed_out(client, people, password, clock):
    earlier = sign_in_with_password_and_code(Client(), people.teacher, password)
    earlier.post("/logout/")
    clock.shift(datetime.timedelta(seconds=30))
    sign_in_with_password_and_code(client, people.teacher, password)

    text = error_text(client.get("/account/"))

    assert "Signed out" in text
    assert "This session" in text
