"""A browser that has signed in fully as a person before carries a signed device cookie for them.

Behind one school address, failures from unknown browsers must not lock that person out of their
own browser (OWASP, "Blocking Brute Force Attacks": device cookies). Their browser is counted on its
own instead: five failures within 30 minutes lock that browser, as they lock an address.
"""

import datetime

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client

from kestrel.accounts import devices, throttle
from kestrel.accounts.tests.steps import (
    START,
    enter_code,
    enter_password,
    sign_in_with_password_and_code,
)
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, current_code, next_unused_code

pytestmark = pytest.mark.django_db

LOCKED = "Too many attempts to sign in. For your safety, try again in 30 minutes"
WRONG = "not the password at all"
SCHOOL_IP = "198.51.100.7"
DSL = "chloe.kelan@example.org"


def got_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dsl_browser(people, password, clock):
    """The DSL's own browser at school: signed in fully once, then signed out."""
    browser = Client(REMOTE_ADDR=SCHOOL_IP)
    sign_in_with_password_and_code(browser, people.dsl, password)
    browser.post("/logout/")
    return browser


def fail_100_times_from_the_school(clock):
    attacker = Client(REMOTE_ADDR=SCHOOL_IP)
    for n in range(100):  # a different address each time, so no one address is locked
        enter_password(attacker, f"guess{n}@example.org", WRONG)
    return attacker


def test_the_dsls_own_browser_gets_through_when_the_schools_address_is_locked(
    dsl_browser, people, password, clock
):
    attacker = fail_100_times_from_the_school(clock)

    own_browser = enter_password(dsl_browser, DSL, password)
    unknown_browser = enter_password(attacker, DSL, password)

    assert got_in(own_browser)
    assert LOCKED in unknown_browser.content.decode()
    assert "_auth_user_id" not in unknown_browser.wsgi_request.session


def test_a_browser_trusted_for_one_person_is_not_trusted_for_another(
    dsl_browser, people, password, clock
):
    fail_100_times_from_the_school(clock)

    response = enter_password(dsl_browser, "james.carter@example.org", password)

    assert LOCKED in response.content.decode()


def test_a_forged_or_tampered_device_cookie_trusts_nothing(dsl_browser, people, password, clock):
    fail_100_times_from_the_school(clock)
    forged = Client(REMOTE_ADDR=SCHOOL_IP)
    value = signing.dumps([[people.teacher.pk, "a" * 32]], salt="not kestrel's salt")
    forged.cookies[devices.COOKIE_NAME] = value
    tampered = Client(REMOTE_ADDR=SCHOOL_IP)
    tampered.cookies[devices.COOKIE_NAME] = dsl_browser.cookies[devices.COOKIE_NAME].value + "x"

    assert LOCKED in enter_password(forged, "james.carter@example.org", password).content.decode()
    assert LOCKED in enter_password(tampered, DSL, password).content.decode()


def test_the_device_cookie_is_set_only_after_the_second_factor(people, password, clock):
    browser = Client()
    device = authenticator_for(people.dsl)

    after_password = enter_password(browser, DSL, password)
    after_code = enter_code(browser, current_code(device))

    assert devices.COOKIE_NAME not in after_password.cookies
    cookie = after_code.cookies[devices.COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 60 * 60
    assert str(people.dsl.email) not in cookie.value


def test_an_attacker_cannot_lock_the_dsl_out_of_their_own_browser(
    dsl_browser, people, password, clock
):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        enter_password(attacker, DSL, WRONG)

    from_elsewhere = enter_password(Client(), DSL, password)
    own_browser = enter_password(dsl_browser, DSL, password)

    assert LOCKED in from_elsewhere.content.decode()
    assert got_in(own_browser)


def test_five_failures_in_a_trusted_browser_lock_that_browser(dsl_browser, people, password, clock):
    for _ in range(5):
        enter_password(dsl_browser, DSL, WRONG)

    own_browser = enter_password(dsl_browser, DSL, password)
    clock.shift(datetime.timedelta(minutes=30, seconds=1))
    later = enter_password(dsl_browser, DSL, password)

    assert LOCKED in own_browser.content.decode()
    assert got_in(later)
    assert AuditEvent.objects.filter(action="signin.refused").count() == 1


def test_the_device_cookie_expires_after_a_year(dsl_browser, people, password, clock):
    fail_100_times_from_the_school(clock)
    clock.shift(datetime.timedelta(days=366))
    fail_100_times_from_the_school(clock)

    response = enter_password(dsl_browser, DSL, password)

    assert LOCKED in response.content.decode()


def test_the_dsls_own_browser_gets_past_the_schools_second_factor_limit(
    dsl_browser, people, password, clock
):
    for _ in range(100):  # colleagues' wrong codes from the school's address, counted as the
        throttle.count("second_factor.ip", SCHOOL_IP)  # code page counts them

    enter_password(dsl_browser, DSL, password)
    own_browser = enter_code(dsl_browser, next_unused_code(authenticator_for(people.dsl)))
    teacher_phone = authenticator_for(people.teacher)
    unknown_browser = Client(REMOTE_ADDR=SCHOOL_IP)
    enter_password(unknown_browser, "james.carter@example.org", password)
    refused = enter_code(unknown_browser, current_code(teacher_phone))

    assert own_browser.status_code == 302 and own_browser.url == "/dashboard/"
    assert refused.status_code == 200
    assert "Too many" in refused.content.decode()


def test_the_dsls_own_browser_gets_a_password_link_when_the_schools_allowance_is_used(
    dsl_browser, people, clock, django_capture_on_commit_callbacks
):
    someone = Client(REMOTE_ADDR=SCHOOL_IP)
    for n in range(30):  # the address's allowance of links in an hour, on others' addresses
        someone.post("/password-reset/", {"email": f"guess{n}@example.org"})

    with django_capture_on_commit_callbacks(execute=True):
        dsl_browser.post("/password-reset/", {"email": DSL})
        someone.post("/password-reset/", {"email": "james.carter@example.org"})

    assert [message.to for message in mail.outbox] == [[DSL]]
    assert AuditEvent.objects.filter(action="password.link_refused").count() == 1


def test_a_browser_is_trusted_after_the_password_where_no_second_factor_is_asked(
    people, password, clock
):
    browser = Client(REMOTE_ADDR=SCHOOL_IP)
    signed_in = enter_password(browser, "james.carter@example.org", password)  # no authenticator
    browser.post("/logout/")
    fail_100_times_from_the_school(clock)

    again = enter_password(browser, "james.carter@example.org", password)

    assert devices.COOKIE_NAME in signed_in.cookies
    assert got_in(again)
