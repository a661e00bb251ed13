"""Email addresses have one spelling everywhere they are stored, compared, looked up or counted:
NFKC, then casefolded (kestrel.accounts.emails.normalise). Lockouts follow the account."""

import pytest
import time_machine
from django.core import mail
from hypothesis import given
from hypothesis import strategies as st

from kestrel.accounts.emails import normalise
from kestrel.accounts.models import User
from kestrel.accounts.tests.steps import START, enter_password
from kestrel.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many attempts to sign in. For your safety, try again in 30 minutes"
FAILED = "Enter a correct email address and password."
WRONG = "not the password at all"
OLIVIA = "olivia.williams@example.org"
DOTLESS = "ol\u0131via.williams@example.org"  # dotless i: PostgreSQL's upper() makes it OLIVIA


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def olivia(school):
    return UserFactory(school=school, first_name="Olivia", last_name="Williams", email=OLIVIA)


def fail(client, email, times):
    for _ in range(times):
        enter_password(client, email, WRONG)


def got_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def test_a_look_alike_spelling_does_not_get_round_the_lockout(client, olivia, password, clock):
    fail(client, OLIVIA, 5)

    response = enter_password(client, DOTLESS, password)

    assert not got_in(response)
    assert "_auth_user_id" not in client.session


def test_a_look_alike_spelling_is_not_the_persons_address(client, olivia, password, clock):
    response = enter_password(client, DOTLESS, password)

    assert not got_in(response)
    assert FAILED in response.content.decode()


def test_full_width_and_capital_letters_are_the_same_address(client, olivia, password, clock):
    fail(client, "\uff2f\uff4c\uff49\uff56\uff49\uff41.Williams@Example.ORG", 5)  # full width

    response = enter_password(client, OLIVIA, password)

    assert LOCKED in response.content.decode()


def test_the_lockout_follows_the_account_when_its_address_changes(client, olivia, password, clock):
    fail(client, OLIVIA, 5)
    olivia.email = "o.williams@example.org"
    olivia.save()

    response = enter_password(client, "o.williams@example.org", password)

    assert LOCKED in response.content.decode()


def test_the_right_password_still_signs_in_whatever_the_case(client, olivia, password, clock):
    assert got_in(enter_password(client, "  Olivia.WILLIAMS@example.org ", password))


def test_staff_set_up_refuses_an_address_that_differs_only_by_case_or_width(
    signed_in, people, olivia
):
    client = signed_in(people.admin)

    response = client.post(
        "/school/staff/add/",
        {
            "first_name": "Another",
            "last_name": "Olivia",
            "email": "OLIVIA.Williams@example.org",
            "is_active": "on",
        },
    )

    assert "A staff member with this email address already exists." in response.content.decode()
    assert User.objects.filter(last_name="Olivia").count() == 0


def test_addresses_are_stored_in_their_one_spelling(school):
    user = User.objects.create_user(
        email="\uff2f\uff4c\uff49\uff56\uff49\uff41.Williams@Example.ORG",
        school=school,
        first_name="Olivia",
        last_name="Williams",
    )

    assert user.email == OLIVIA


def test_a_password_link_goes_to_the_address_typed_in_any_case(
    client, olivia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password-reset/", {"email": "Olivia.Williams@EXAMPLE.org"})

    assert [message.to for message in mail.outbox] == [[OLIVIA]]


@given(st.text())
def test_normalising_twice_changes_nothing(text):
    assert normalise(normalise(text)) == normalise(text)


def test_normalising_folds_width_case_and_spaces_but_not_look_alikes():
    assert normalise("  \uff2f\uff4c\uff49via@EXAMPLE.org ") == "olivia@example.org"
    assert normalise("Stra\u00dfe@example.org") == "strasse@example.org"
    assert normalise(DOTLESS) != OLIVIA


def test_every_way_of_saving_or_finding_an_address_uses_its_one_spelling(school):
    made = UserFactory(school=school, email="  Olivia.Williams@EXAMPLE.org")
    User.objects.bulk_create(
        [User(school=school, first_name="A", last_name="B", email="\uff21.B@Example.org")]
    )

    assert User.objects.get(pk=made.pk).email == OLIVIA
    assert User.objects.filter(email="OLIVIA.williams@example.org").get() == made
    assert User.objects.filter(email__in=["A.B@EXAMPLE.ORG"]).count() == 1
