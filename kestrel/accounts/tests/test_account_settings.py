"""Account Settings: who the staff member is, and changing their own password."""

import html
import re

import pytest
from django.test import Client

from kestrel.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kettle orchard lantern 42"


def summary(response) -> dict[str, str]:
    """The Account Settings summary list as {key: value}."""
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        response.content.decode(),
        flags=re.S,
    )
    return {html.unescape(key.strip()): html.unescape(value.strip()) for key, value in rows}


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
    assert new.url == "/dashboard/"


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
    assert "This password is too short. It must contain at least 12 characters." in text
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
    elsewhere = Client()
    elsewhere.force_login(people.teacher)
    here = Client()
    here.force_login(people.teacher)

    change_password(here, password, NEW_PASSWORD)

    assert here.get("/dashboard/").status_code == 200
    assert elsewhere.get("/dashboard/").status_code == 302
