"""Signing in and out at /login/, as the user guide describes it."""

import re

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from kestrel.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FAILED = "Enter a correct email address and password."


def sign_in(client, email, password):
    return client.post("/login/", {"username": email, "password": password})


def comparable(response, typed_email: str) -> str:
    """The page with what differs per request (CSRF token, CSP nonce, typed email) masked."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'nonce="[^"]+"', "NONCE", html)
    return html.replace(typed_email, "TYPED-EMAIL")


def test_sign_in_page_shows_the_guides_labels_button_and_first_time_link(client):
    response = client.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<label[^>]*for=\"id_username\"[^>]*>\s*Email address\s*</label>", html)
    assert re.search(r"<label[^>]*for=\"id_password\"[^>]*>\s*Password\s*</label>", html)
    assert re.search(r"<button[^>]*type=\"submit\"[^>]*>\s*Login\s*</button>", html)
    assert re.search(
        r'<a[^>]*href="/password-reset/"[^>]*>\s*'
        r"Forgotten your password or using Kestrel for the first time\?\s*</a>",
        html,
    )


def test_staff_member_signs_in_with_the_right_password_and_lands_on_the_dashboard(
    client, people, password
):
    response = sign_in(client, "chloe.kelan@example.org", password)

    assert response.status_code == 302
    assert response.url == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert int(client.session["_auth_user_id"]) == people.dsl.pk


def test_email_address_is_not_case_sensitive_at_sign_in(client, people, password):
    response = sign_in(client, "  Chloe.KELAN@Example.ORG", password)

    assert response.status_code == 302
    assert response.url == "/dashboard/"
    assert int(client.session["_auth_user_id"]) == people.dsl.pk


def test_wrong_password_is_refused_with_the_guides_message(client, people):
    response = sign_in(client, "chloe.kelan@example.org", "not the password at all")

    assert response.status_code == 200
    assert FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_password_and_unknown_email_get_the_same_response(client, people):
    wrong_password = sign_in(client, "chloe.kelan@example.org", "not the password at all")
    unknown_email = sign_in(client, "nobody.here@example.org", "not the password at all")

    assert wrong_password.status_code == unknown_email.status_code == 200
    assert FAILED in unknown_email.content.decode()
    assert comparable(wrong_password, "chloe.kelan@example.org") == comparable(
        unknown_email, "nobody.here@example.org"
    )


def test_deactivated_staff_member_cannot_sign_in_even_with_the_right_password(
    client, people, password
):
    people.teacher.is_active = False
    people.teacher.save()

    response = sign_in(client, "james.carter@example.org", password)
    unknown_email = sign_in(client, "nobody.here@example.org", password)

    assert response.status_code == 200
    assert FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == 302
    assert comparable(response, "james.carter@example.org") == comparable(
        unknown_email, "nobody.here@example.org"
    )


def test_successful_sign_in_is_audited_against_the_staff_member(client, people, password):
    sign_in(client, "chloe.kelan@example.org", password)

    event = AuditEvent.objects.get()
    assert event.action == "signin.succeeded"
    assert event.actor == people.dsl
    assert event.actor_label == "Chloe Kelan"
    assert event.school == people.dsl.school
    assert event.ip_address == "127.0.0.1"


def test_failed_sign_in_with_a_known_email_is_audited_against_that_account(client, people):
    sign_in(client, "Chloe.Kelan@example.org", "not the password at all")

    event = AuditEvent.objects.get()
    assert event.action == "signin.failed"
    assert event.actor == people.dsl
    assert event.school == people.dsl.school


def test_failed_sign_in_with_an_unknown_email_is_audited_without_an_account(client, people):
    sign_in(client, "nobody.here@example.org", "not the password at all")

    event = AuditEvent.objects.get()
    assert event.action == "signin.failed"
    assert event.actor is None
    assert event.school is None
    assert event.detail == {"unknown_email": True}


def test_deactivated_staff_members_attempt_is_audited_as_a_failure(client, people, password):
    people.teacher.is_active = False
    people.teacher.save()

    sign_in(client, "james.carter@example.org", password)

    assert list(AuditEvent.objects.values_list("action", "actor")) == [
        ("signin.failed", people.teacher.pk)
    ]


def test_each_attempt_writes_its_own_audit_event(client, people, password):
    sign_in(client, "chloe.kelan@example.org", "not the password at all")
    sign_in(client, "nobody.here@example.org", "not the password at all")
    sign_in(client, "chloe.kelan@example.org", password)

    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "signin.failed",
        "signin.failed",
        "signin.succeeded",
    ]


def test_session_key_changes_at_sign_in(client, people, password):
    before = client.session
    before["seen_sign_in_page"] = True
    before.save()
    old_key = before.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == old_key

    sign_in(client, "chloe.kelan@example.org", password)

    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)
    assert SessionStore(session_key=new_key)["_auth_user_id"] == str(people.dsl.pk)


def test_signed_in_user_opening_the_sign_in_page_is_sent_to_the_dashboard(signed_in, people):
    response = signed_in(people.teacher).get("/login/")

    assert response.status_code == 302
    assert response.url == "/dashboard/"


def test_sign_in_follows_a_safe_next_link_but_not_one_to_another_site(client, people, password):
    response = client.post(
        "/login/",
        {"username": "chloe.kelan@example.org", "password": password, "next": "/account/"},
    )
    assert response.url == "/account/"

    client.post("/logout/")
    response = client.post(
        "/login/",
        {
            "username": "chloe.kelan@example.org",
            "password": password,
            "next": "https://evil.example.com/",
        },
    )
    assert response.url == "/dashboard/"


def test_logout_is_refused_as_a_get_request(signed_in, people):
    client = signed_in(people.teacher)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert client.get("/dashboard/").status_code == 200


def test_logout_by_post_signs_out_and_dashboard_then_sends_to_sign_in(signed_in, people):
    client = signed_in(people.teacher)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response.url == "/login/"
    assert "_auth_user_id" not in client.session
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 302
    assert dashboard.url == "/login/?next=/dashboard/"


@pytest.mark.parametrize("path", ["/dashboard/", "/account/", "/account/password/"])
def test_signed_in_pages_tell_every_cache_not_to_store_them(signed_in, people, path):
    response = signed_in(people.teacher).get(path)

    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "no-store" in directives
    assert "private" in directives


def test_redirect_after_sign_in_is_not_stored_by_caches(client, people, password):
    response = sign_in(client, "chloe.kelan@example.org", password)

    assert "no-store" in response["Cache-Control"]
