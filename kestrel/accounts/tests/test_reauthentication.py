"""Sensitive changes need "Confirm it is you": the password and a current second factor, given
within the last five minutes (signing in counts)."""

import datetime
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from kestrel.accounts.models import BackupCode, User
from kestrel.accounts.second_factor import new_backup_codes
from kestrel.accounts.tests.steps import (
    START,
    enter_code,
    enter_password,
    error_text,
    wrong_code,
)
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, current_code

pytestmark = pytest.mark.django_db

CONFIRM = "/account/confirm/"
CONFIRM_CODE = "/account/confirm/code/"
SETUP = "/account/two-factor/setup/"
LATER = datetime.timedelta(minutes=6)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chloe(client, people, password, clock):
    """Chloe signed in through the pages (password and code), six minutes ago."""
    device = authenticator_for(people.dsl)
    enter_password(client, people.dsl.email, password)
    assert enter_code(client, current_code(device)).url == "/dashboard/"
    clock.shift(LATER)
    return client


def sent_to_confirm(response, back_to: str) -> bool:
    parts = urlsplit(response["Location"])
    return (
        response.status_code == 302
        and parts.path == CONFIRM
        and parse_qs(parts.query)["next"] == [back_to]
    )


def confirm(client, password, code, next_url="/account/"):
    first = client.post(CONFIRM, {"password": password, "next": next_url})
    assert first.status_code == 302 and urlsplit(first.url).path == CONFIRM_CODE, first
    return client.post(CONFIRM_CODE, {"code": code, "next": next_url})


# Each sensitive change is refused without a recent confirmation ----------------------------


def test_setting_up_a_new_authenticator_asks_to_confirm_it_is_you(chloe, people):
    response = chloe.get(SETUP)

    assert sent_to_confirm(response, SETUP)
    assert TOTPDevice.objects.filter(user=people.dsl).count() == 1  # no new secret made


def test_replacing_backup_codes_asks_to_confirm_it_is_you(chloe, people):
    new_backup_codes(people.dsl)
    before = set(BackupCode.objects.values_list("code_hash", flat=True))

    response = chloe.post(
        "/account/backup-codes/replace/", HTTP_REFERER="http://testserver/account/"
    )

    assert sent_to_confirm(response, "http://testserver/account/")
    assert set(BackupCode.objects.values_list("code_hash", flat=True)) == before


def test_removing_the_authenticator_asks_to_confirm_it_is_you(chloe, people):
    WebAuthnCredential.objects.create(
        user=people.dsl, name="Laptop", credential_id=b"laptop", public_key=b"key"
    )

    response = chloe.post("/account/two-factor/remove/")

    assert sent_to_confirm(response, "/account/")
    assert TOTPDevice.objects.filter(user=people.dsl).exists()


def test_removing_a_passkey_asks_to_confirm_it_is_you(chloe, people):
    passkey = WebAuthnCredential.objects.create(
        user=people.dsl, name="Laptop", credential_id=b"laptop", public_key=b"key"
    )

    response = chloe.post(f"/account/passkeys/{passkey.pk}/remove/")

    assert sent_to_confirm(response, "/account/")
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


@pytest.mark.parametrize("step", ["begin", "complete"])
def test_adding_a_passkey_is_refused_without_confirming(chloe, step):
    response = chloe.post(
        f"/account/passkeys/register/{step}/", "{}", content_type="application/json"
    )

    assert response.status_code == 403
    assert "Confirm it is you" in json.loads(response.content)["detail"]


def test_account_settings_offers_add_a_passkey_through_confirming(chloe):
    page = chloe.get("/account/").content.decode()

    assert 'href="/account/confirm/?next=%2Faccount%2F"' in page
    assert "otp_webauthn_register.js" not in page


def test_changing_the_password_asks_to_confirm_it_is_you(chloe):
    response = chloe.get("/account/password/")

    assert sent_to_confirm(response, "/account/password/")


def test_signing_out_everywhere_else_asks_to_confirm_it_is_you(chloe, people, password):
    other = Client()
    enter_password(other, people.dsl.email, password)

    response = chloe.post("/account/sign-out-everywhere/")

    assert sent_to_confirm(response, "/account/")
    assert other.get("/login/verify/").status_code == 200  # still signed in there


# Confirming --------------------------------------------------------------------------------


def test_password_and_authenticator_code_confirm_and_return_to_the_change(chloe, people, password):
    device = authenticator_for(people.dsl)
    start = chloe.get(SETUP)
    page = chloe.get(start["Location"]).content.decode()
    assert "Confirm it is you" in page
    assert 'autocomplete="current-password"' in page

    response = confirm(chloe, password, current_code(device), next_url=SETUP)

    assert response.status_code == 302 and response.url == SETUP
    assert chloe.get(SETUP).status_code == 200
    event = AuditEvent.objects.get(action="reauth.succeeded")
    assert (event.actor, event.detail) == (people.dsl, {"kind": "authenticator"})


def test_password_and_backup_code_confirm(chloe, people, password):
    code = new_backup_codes(people.dsl)[0]

    response = confirm(chloe, password, code)

    assert response.url == "/account/"
    replaced = chloe.post("/account/backup-codes/replace/")
    assert replaced.url == "/account/backup-codes/"


def test_confirmation_lasts_five_minutes(chloe, people, password, clock):
    confirm(chloe, password, current_code(authenticator_for(people.dsl)))
    clock.shift(datetime.timedelta(minutes=4, seconds=59))
    assert chloe.get("/account/password/").status_code == 200

    clock.shift(datetime.timedelta(seconds=2))

    assert sent_to_confirm(chloe.get("/account/password/"), "/account/password/")


def test_wrong_password_is_refused_and_counts_toward_the_second_factor_lockout(chloe, people):
    response = chloe.post(CONFIRM, {"password": "not my password at all", "next": "/account/"})

    assert "That password is not right." in error_text(response)
    event = AuditEvent.objects.get(action="second_factor.failed")
    assert event.detail == {"kind": "reauth_password"}
    assert chloe.get(CONFIRM_CODE)["Location"].startswith(CONFIRM)  # step two not reached


def test_five_wrong_codes_lock_confirming_even_for_the_right_code(chloe, people, password):
    device = authenticator_for(people.dsl)
    chloe.post(CONFIRM, {"password": password, "next": "/account/"})
    for _ in range(5):
        chloe.post(CONFIRM_CODE, {"code": wrong_code(device)})

    response = chloe.post(CONFIRM_CODE, {"code": current_code(device)})

    assert "Too many wrong codes." in error_text(response)
    assert sent_to_confirm(chloe.get("/account/password/"), "/account/password/")
    assert AuditEvent.objects.filter(action="second_factor.refused").exists()


def test_code_step_without_the_password_goes_back_to_the_password(chloe, people):
    response = chloe.post(
        CONFIRM_CODE, {"code": current_code(authenticator_for(people.dsl)), "next": "/account/"}
    )

    assert urlsplit(response.url).path == CONFIRM
    assert not AuditEvent.objects.filter(action="reauth.succeeded").exists()


def test_password_step_lapses_after_five_minutes(chloe, people, password, clock):
    chloe.post(CONFIRM, {"password": password, "next": "/account/"})
    clock.shift(LATER)

    response = chloe.post(CONFIRM_CODE, {"code": current_code(authenticator_for(people.dsl))})

    assert urlsplit(response.url).path == CONFIRM


def test_confirming_never_sends_the_browser_to_another_site(chloe, people, password):
    response = confirm(
        chloe,
        password,
        current_code(authenticator_for(people.dsl)),
        next_url="https://attacker.example/",
    )

    assert response.url == "/dashboard/"


def test_without_a_second_factor_the_password_alone_confirms(client, password, clock):
    from kestrel.testing.factories import SchoolFactory, UserFactory

    relaxed = UserFactory(
        school=SchoolFactory(require_two_factor=False), email="amy.relaxed@example.org"
    )
    enter_password(client, relaxed.email, password)
    clock.shift(LATER)
    assert sent_to_confirm(client.get(SETUP), SETUP)

    response = client.post(CONFIRM, {"password": password, "next": SETUP})

    assert response.url == SETUP
    assert client.get(SETUP).status_code == 200


# Signing in counts ----------------------------------------------------------------------------


def test_first_set_up_right_after_the_first_sign_in_is_not_asked_again(
    client, people, password, clock
):
    enter_password(client, people.dsl.email, password)  # no second factor yet; school needs one
    clock.shift(LATER)  # reading the instructions takes a while: the set-up is still not blocked

    response = client.get(SETUP)

    assert response.status_code == 200
    assert "Your school asks everyone to use a second factor." in response.content.decode()


def test_changes_straight_after_signing_in_are_not_asked_again(client, people, password, clock):
    device = authenticator_for(people.dsl)
    enter_password(client, people.dsl.email, password)
    enter_code(client, current_code(device))
    clock.shift(datetime.timedelta(minutes=4))

    assert client.get("/account/password/").status_code == 200
    assert client.post("/account/backup-codes/replace/").url == "/account/backup-codes/"


# The administrator's acts on a colleague's sign-in ----------------------------------------------


@pytest.fixture
def office(people, password, clock):
    """The school administrator, signed in through the pages six minutes ago."""
    browser = Client()
    device = authenticator_for(people.admin)
    enter_password(browser, people.admin.email, password)
    assert enter_code(browser, current_code(device)).url == "/dashboard/"
    clock.shift(LATER)
    return browser


def test_resetting_a_colleagues_second_factor_needs_the_administrators_confirmation(
    office, people, password
):
    authenticator_for(people.teacher)
    edit = reverse("schools:edit", args=["staff", people.teacher.pk])
    reset = reverse("schools:staff_reset_second_factor", args=[people.teacher.pk])

    refused = office.post(reset, HTTP_REFERER=f"http://testserver{edit}")

    assert sent_to_confirm(refused, f"http://testserver{edit}")
    assert len(list(devices_for_user(people.teacher))) == 1
    confirm(office, password, current_code(authenticator_for(people.admin)), next_url=edit)
    assert office.post(reset).status_code == 302
    assert list(devices_for_user(people.teacher)) == []


def test_changing_a_colleagues_email_address_needs_the_administrators_confirmation(
    office, people, password
):
    edit = reverse("schools:edit", args=["staff", people.teacher.pk])
    typed = {
        "first_name": "James",
        "last_name": "Carter-Jones",
        "email": "j.carter@attacker.example",
        "job_title": "Year 6 teacher",
        "access_level": people.teacher.access_level_id,
        "is_active": "on",
    }

    refused = office.post(edit, typed)

    assert sent_to_confirm(refused, edit)
    people.teacher.refresh_from_db()
    assert people.teacher.email == "james.carter@example.org"
    confirm(office, password, current_code(authenticator_for(people.admin)), next_url=edit)
    # Back on the form, what was typed is there to check and save again.
    page = office.get(edit).content.decode()
    assert 'value="j.carter@attacker.example"' in page
    assert 'value="Carter-Jones"' in page
    assert 'value="Year 6 teacher"' in page
    assert office.post(edit, typed).status_code == 302
    assert User.objects.get(pk=people.teacher.pk).email == "j.carter@attacker.example"


def test_other_staff_changes_need_no_confirmation(office, people):
    edit = reverse("schools:edit", args=["staff", people.teacher.pk])
    typed = {
        "first_name": "James",
        "last_name": "Carter",
        "email": people.teacher.email,
        "job_title": "Deputy head",
        "access_level": people.teacher.access_level_id,
        "is_active": "on",
    }

    response = office.post(edit, typed)

    assert response.status_code == 302
    assert User.objects.get(pk=people.teacher.pk).job_title == "Deputy head"
