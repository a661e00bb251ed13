"""Too many failed sign-ins lock an address (or an IP address) for 30 minutes, revealing nothing."""

import datetime

import pytest
import time_machine

from kestrel.accounts.models import ThrottleEvent
from kestrel.accounts.tests.steps import START, comparable, enter_password
from kestrel.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOCKED = "Too many attempts to sign in. For your safety, try again in 30 minutes"
FAILED = "Enter a correct email address and password."
WRONG = "not the password at all"


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def fail(client, email, times, **extra):
    for _ in range(times):
        response = enter_password(client, email, WRONG, **extra)
        assert FAILED in response.content.decode()


def got_in(response) -> bool:
    """Whether the password step let the person in (to the code, set-up or dashboard)."""
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_four_failures_do_not_lock_the_address(client, people, password, clock):
    fail(client, "james.carter@example.org", 4)

    response = enter_password(client, "james.carter@example.org", password)

    assert got_in(response)


def test_sixth_attempt_is_refused_even_with_the_right_password(client, people, password, clock):
    fail(client, "james.carter@example.org", 5)

    response = enter_password(client, "james.carter@example.org", password)

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert FAILED not in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").url.startswith("/login/")


def test_lock_still_holds_at_29_minutes_and_is_lifted_after_30(client, people, password, clock):
    fail(client, "james.carter@example.org", 5)

    clock.shift(minutes(29))
    still_locked = enter_password(client, "james.carter@example.org", password)
    clock.shift(minutes(1) + datetime.timedelta(seconds=1))
    lifted = enter_password(client, "james.carter@example.org", password)

    assert LOCKED in still_locked.content.decode()
    assert got_in(lifted)


def test_lock_is_per_address_whatever_its_case(client, people, password, clock):
    fail(client, "James.Carter@Example.org", 5)

    response = enter_password(client, "  JAMES.CARTER@example.org", password)

    assert LOCKED in response.content.decode()


def test_unknown_address_is_locked_exactly_as_a_real_one_is(client, people, clock):
    fail(client, "james.carter@example.org", 5)
    fail(client, "nobody.here@example.org", 5)

    real = enter_password(client, "james.carter@example.org", WRONG)
    unknown = enter_password(client, "nobody.here@example.org", WRONG)

    assert LOCKED in unknown.content.decode()
    assert comparable(unknown, "nobody.here@example.org") == comparable(
        real, "james.carter@example.org"
    )


def test_failures_spread_over_more_than_30_minutes_do_not_lock(client, people, password, clock):
    for _ in range(5):
        fail(client, "james.carter@example.org", 1)
        clock.shift(minutes(8))  # the fifth failure is 32 minutes after the first

    response = enter_password(client, "james.carter@example.org", password)

    assert got_in(response)


def test_a_successful_sign_in_starts_the_count_afresh(client, people, password, clock):
    fail(client, "james.carter@example.org", 4)
    enter_password(client, "james.carter@example.org", password)
    client.post("/logout/")
    fail(client, "james.carter@example.org", 4)

    response = enter_password(client, "james.carter@example.org", password)

    assert got_in(response)


def test_another_address_from_the_same_ip_is_not_locked(client, people, password, clock):
    fail(client, "james.carter@example.org", 5)

    response = enter_password(client, "chloe.kelan@example.org", password)

    assert got_in(response)


def test_lock_follows_the_address_to_another_ip(client, people, password, clock):
    fail(client, "james.carter@example.org", 5, REMOTE_ADDR="198.51.100.1")

    response = enter_password(
        client, "james.carter@example.org", password, REMOTE_ADDR="198.51.100.2"
    )

    assert LOCKED in response.content.decode()


def test_one_ip_address_is_refused_after_100_failures_in_30_minutes(
    client, people, password, clock
):
    for n in range(100):  # a different address each time, so no one address is locked
        enter_password(client, f"guess{n}@example.org", WRONG, REMOTE_ADDR="198.51.100.7")

    from_there = enter_password(
        client, "james.carter@example.org", password, REMOTE_ADDR="198.51.100.7"
    )
    from_elsewhere = enter_password(
        client, "james.carter@example.org", password, REMOTE_ADDR="198.51.100.8"
    )

    assert LOCKED in from_there.content.decode()
    assert "_auth_user_id" not in from_there.wsgi_request.session
    assert got_in(from_elsewhere)


def test_ip_limit_lapses_once_the_failures_are_30_minutes_old(client, people, password, clock):
    for n in range(100):
        enter_password(client, f"guess{n}@example.org", WRONG, REMOTE_ADDR="198.51.100.7")
    clock.shift(minutes(30) + datetime.timedelta(seconds=1))

    response = enter_password(
        client, "james.carter@example.org", password, REMOTE_ADDR="198.51.100.7"
    )

    assert got_in(response)


def test_every_refusal_is_audited(client, people, password, clock):
    fail(client, "james.carter@example.org", 5)

    enter_password(client, "james.carter@example.org", password)
    enter_password(client, "james.carter@example.org", WRONG)

    refusals = AuditEvent.objects.filter(action="signin.refused")
    assert refusals.count() == 2
    assert all(event.detail == {"rule": "lockout"} for event in refusals)
    assert all(event.ip_address == "127.0.0.1" for event in refusals)
    assert AuditEvent.objects.filter(action="signin.failed").count() == 5
    assert not AuditEvent.objects.filter(action="signin.succeeded").exists()


def test_throttle_table_holds_no_email_or_ip_address(client, people, clock):
    fail(client, "james.carter@example.org", 5, REMOTE_ADDR="198.51.100.7")
    fail(client, "nobody.here@example.org", 2, REMOTE_ADDR="198.51.100.7")

    rows = list(ThrottleEvent.objects.values_list("kind", "key"))
    assert rows
    stored = repr(rows).lower()
    for clear_text in ["james.carter", "nobody.here", "example.org", "198.51.100.7"]:
        assert clear_text not in stored
