"""Account Settings: who the staff member is, their password and their second factors."""

import datetime
import html
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from kestrel.accounts.reauth import REAUTH_AT
from kestrel.accounts.tests.steps import (
    START,
    enter_password,
    session_key,
    sign_in_with_password_and_code,
)
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import sign_in_fully
from kestrel.testing.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kettle orchard lantern 42"


def summary_lists(response) -> list[dict[str, str]]:
    """Each summary list on the page as {key: value}, in page order."""
    lists = re.findall(
        r'<dl class="govuk-summary-list">(.*?)</dl>', response.content.decode(), flags=re.S
    )
    return [
        {
            html.unescape(key.strip()): html.unescape(re.sub(r"<[^>]+>", "", value).strip())
            for key, value in re.findall(
                r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*'
                r'<dd class="govuk-summary-list__value">(.*?)</dd>',
                block,
                flags=re.S,
            )
        }
        for block in lists
    ]


def summary(response) -> dict[str, str]:
    """The "Your details" summary list as {key: value}."""
    return summary_lists(response)[0]


def second_factor_summary(response) -> dict[str, str]:
    return summary_lists(response)[1]


def change_password(client, current, new, confirm=None):
    return client.post(
        "/account/password/",
        {
            "old_password": current,
            "new_password1": new,
            "new_password2": new if confirm is None else confirm,
        },
    )


def test_account_settings_shows_the_dsls_name_email_job_title_and_access(signed_in, people):
    response = signed_in(people.dsl).get("/account/")

    assert response.status_code == 200
    assert summary(response) == {
        "Name": "Chloe Kelan",
        "Email address": "chloe.kelan@example.org",
        "Job title": "Designated Safeguarding Lead",
        "School": "Ashdown Primary School",
        "Access level": "DSL team",
        "Key access": "Yes",
    }


def test_account_settings_shows_a_teachers_own_details_not_anyone_elses(signed_in, people):
    response = signed_in(people.teacher).get("/account/")

    shown = summary(response)
    assert shown["Name"] == "James Carter"
    assert shown["Email address"] == "james.carter@example.org"
    assert shown["Job title"] == "Class teacher"
    assert shown["Access level"] == "Staff"
    assert shown["Key access"] == "No"
    assert "chloe.kelan@example.org" not in response.content.decode()


def test_account_settings_says_an_administrator_without_a_level_has_none(signed_in, people):
    shown = summary(signed_in(people.admin).get("/account/"))

    assert shown["Job title"] == "School administrator"
    assert shown["Access level"] == "None"


def test_account_settings_links_to_change_password(signed_in, people):
    page = signed_in(people.teacher).get("/account/").content.decode()

    assert re.search(r'<a[^>]*href="/account/password/"[^>]*>\s*Change your password\s*</a>', page)


@pytest.mark.parametrize("path", ["/account/", "/account/password/"])
def test_anonymous_user_is_sent_to_sign_in_from_account_pages(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/login/?next={path}"


def test_anonymous_post_to_change_password_changes_nothing(client, people, password):
    response = change_password(client, password, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.url.startswith("/login/")
    people.teacher.refresh_from_db()
    assert people.teacher.check_password(password)


def test_change_password_page_asks_for_current_and_new_password(signed_in, people):
    page = signed_in(people.teacher).get("/account/password/").content.decode()

    labels = re.findall(r'<label[^>]*for="id_(\w+)"[^>]*>\s*([^<]+?)\s*</label>', page)
    assert labels == [
        ("old_password", "Current password"),
        ("new_password1", "New password"),
        ("new_password2", "Confirm new password"),
    ]


def test_staff_member_changes_password_and_stays_signed_in(signed_in, people, password):
    client = signed_in(people.teacher)

    response = change_password(client, password, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.url == "/account/"
    settings_page = client.get("/account/")
    assert settings_page.status_code == 200
    assert "Your password has been changed." in settings_page.content.decode()
    assert client.get("/dashboard/").status_code == 200
    people.teacher.refresh_from_db()
    assert people.teacher.check_password(NEW_PASSWORD)
    assert not people.teacher.check_password(password)
    assert AuditEvent.objects.filter(action="password.changed", actor=people.teacher).count() == 1


def test_new_password_works_at_the_next_sign_in(signed_in, people, password):
    client = signed_in(people.teacher)
    change_password(client, password, NEW_PASSWORD)
    client.post("/logout/")

    old = client.post("/login/", {"username": "james.carter@example.org", "password": password})
    new = client.post("/login/", {"username": "james.carter@example.org", "password": NEW_PASSWORD})

    assert old.status_code == 200
    assert "Enter a correct email address and password." in old.content.decode()
    assert new.url.startswith("/login/verify/")  # the password is right: now the code


def test_wrong_current_password_is_refused(signed_in, people, password):
    client = signed_in(people.teacher)

    response = change_password(client, "not my password at all", NEW_PASSWORD)

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "Your old password was entered incorrectly" in text
    people.teacher.refresh_from_db()
    assert people.teacher.check_password(password)
    assert not AuditEvent.objects.filter(action="password.changed").exists()


def test_eleven_character_new_password_is_refused(signed_in, people, password):
    client = signed_in(people.teacher)

    response = change_password(client, password, "Tr0ub4dor&3")

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Your password must be at least 12 characters long." in text
    people.teacher.refresh_from_db()
    assert people.teacher.check_password(password)


def test_twelve_character_new_password_is_accepted(signed_in, people):
    people.teacher.set_password("an old secret phrase")
    people.teacher.save()
    client = signed_in(people.teacher)

    response = change_password(client, "an old secret phrase", "Tr0ub4dor&3x")

    assert response.status_code == 302
    people.teacher.refresh_from_db()
    assert people.teacher.check_password("Tr0ub4dor&3x")


def test_mismatched_new_passwords_are_refused(signed_in, people, password):
    client = signed_in(people.teacher)

    response = change_password(client, password, NEW_PASSWORD, confirm="something else entirely")

    assert response.status_code == 200
    assert "The two password fields didn" in response.content.decode()
    people.teacher.refresh_from_db()
    assert people.teacher.check_password(password)


def test_changing_password_signs_out_other_sessions(people, password):
    with time_machine.travel(START, tick=False) as clock:
        elsewhere = sign_in_with_password_and_code(Client(), people.teacher, password)
        clock.shift(datetime.timedelta(seconds=30))  # a new code for the second sign-in
        here = sign_in_with_password_and_code(Client(), people.teacher, password)
        elsewhere_key = session_key(elsewhere)

        change_password(here, password, NEW_PASSWORD)

        assert here.get("/dashboard/").status_code == 200
        assert elsewhere.get("/dashboard/").url.startswith("/login/")
    assert not Session.objects.filter(session_key=elsewhere_key).exists()


def test_changing_password_signs_out_sessions_even_if_no_sign_in_was_recorded(people, password):
    elsewhere = sign_in_fully(Client(), people.teacher)
    here = sign_in_fully(Client(), people.teacher)

    change_password(here, password, NEW_PASSWORD)

    assert here.get("/dashboard/").status_code == 200
    assert elsewhere.get("/dashboard/").url.startswith("/login/")


# Second factor ------------------------------------------------------------------------------


@pytest.fixture
def relaxed_teacher(db):
    """A teacher at a school that leaves the second factor to each member of staff."""
    school = SchoolFactory(name="Fernhill Nursery", require_two_factor=False)
    return UserFactory(school=school, email="nia.owusu@example.org")


def remove_authenticator(client):
    return client.post("/account/two-factor/remove/", follow=True)


def test_second_factor_section_shows_the_app_and_backup_codes_left(signed_in, people):
    client = signed_in(people.teacher)
    before = second_factor_summary(client.get("/account/"))
    client.post("/account/backup-codes/replace/")

    after = second_factor_summary(client.get("/account/"))

    assert before["Authenticator app"].startswith("On")
    assert before["Backup codes"] == "None yet"
    assert after["Backup codes"] == "10 of 10 left"


def test_backup_codes_left_goes_down_as_they_are_used(signed_in, people, password):
    page = signed_in(people.teacher).post("/account/backup-codes/replace/", follow=True)
    codes = re.findall(r"<code>([^<]+)</code>", page.content.decode())
    browser = Client()
    enter_password(browser, "james.carter@example.org", password)
    browser.post("/login/verify/backup-code/", {"code": codes[0]})

    shown = second_factor_summary(browser.get("/account/"))

    assert shown["Backup codes"] == "9 of 10 left"


def test_user_without_an_app_is_offered_to_set_one_up(client, relaxed_teacher, password):
    enter_password(client, "nia.owusu@example.org", password)

    response = client.get("/account/")

    assert second_factor_summary(response)["Authenticator app"] == "Not set up"
    assert 'href="/account/two-factor/setup/"' in response.content.decode()


def test_removing_the_only_factor_is_refused_when_the_school_requires_one(signed_in, people):
    client = signed_in(people.teacher)

    response = remove_authenticator(client)

    assert response.status_code == 200
    assert "Your school requires a second factor." in html.unescape(response.content.decode())
    assert TOTPDevice.objects.filter(user=people.teacher, confirmed=True).exists()
    assert client.get("/dashboard/").status_code == 200


def test_removing_the_app_is_allowed_when_a_passkey_remains(signed_in, people):
    client = signed_in(people.teacher)
    WebAuthnCredential.objects.create(
        user=people.teacher, name="Work laptop", credential_id=b"laptop", public_key=b"key"
    )

    response = remove_authenticator(client)

    assert "Your authenticator app has been removed." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=people.teacher).exists()
    assert AuditEvent.objects.filter(action="second_factor.authenticator_removed").exists()


def test_removing_the_last_passkey_is_refused_when_the_school_requires_one(client, people):
    passkey = WebAuthnCredential.objects.create(
        user=people.teacher, name="Work laptop", credential_id=b"laptop", public_key=b"key"
    )
    client.force_login(people.teacher)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = passkey.persistent_id
    session[REAUTH_AT] = timezone.now().isoformat()  # signed in with the passkey just now
    session.save()

    response = client.post(f"/account/passkeys/{passkey.pk}/remove/", follow=True)

    assert "Your school requires a second factor." in html.unescape(response.content.decode())
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_removing_the_app_is_allowed_when_the_school_does_not_require_one(
    signed_in, relaxed_teacher, password
):
    client = signed_in(relaxed_teacher)
    client.post("/account/backup-codes/replace/")

    response = remove_authenticator(client)

    assert response.redirect_chain[-1][0] == "/account/"
    assert "Your authenticator app has been removed." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=relaxed_teacher).exists()
    assert second_factor_summary(response)["Authenticator app"] == "Not set up"


def test_after_removing_the_app_at_a_relaxed_school_the_password_alone_signs_in(
    signed_in, relaxed_teacher, password
):
    client = signed_in(relaxed_teacher)
    client.post("/account/backup-codes/replace/")  # backup codes alone are not a second factor
    remove_authenticator(client)
    client.post("/logout/")

    response = enter_password(client, "nia.owusu@example.org", password)

    assert response.url == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_removing_someone_elses_passkey_is_not_possible(signed_in, people):
    theirs = WebAuthnCredential.objects.create(
        user=people.dsl, name="Chloe's laptop", credential_id=b"chloe", public_key=b"key"
    )

    response = signed_in(people.teacher).post(f"/account/passkeys/{theirs.pk}/remove/")

    assert response.status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
