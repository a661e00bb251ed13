"""Signing in at /login/, as the user guide describes it: a password, then a second factor."""

import re

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from kestrel.accounts.models import SignInSession
from kestrel.accounts.tests.steps import comparable, enter_code, enter_password, wrong_code
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, current_code
from kestrel.testing.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

FAILED = "Enter a correct email address and password."
SETUP = "/account/two-factor/setup/"


@pytest.fixture
def relaxed_school(db):
    """A school that leaves the second factor to each member of staff."""
    return SchoolFactory(name="Fernhill Nursery", require_two_factor=False)


@pytest.fixture
def relaxed_teacher(relaxed_school):
    return UserFactory(school=relaxed_school, email="nia.owusu@example.org")


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


def test_user_with_an_authenticator_is_asked_for_a_code_after_the_password(
    client, people, password
):
    device = authenticator_for(people.dsl)

    response = enter_password(client, "chloe.kelan@example.org", password)

    assert response.status_code == 302
    assert response.url.startswith("/login/verify/")
    assert int(client.session["_auth_user_id"]) == people.dsl.pk
    assert client.get("/dashboard/").url.startswith("/login/verify/")

    verified = enter_code(client, current_code(device))

    assert verified.url == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_user_without_a_second_factor_at_a_school_requiring_one_is_sent_to_set_it_up(
    client, people, password
):
    response = enter_password(client, "chloe.kelan@example.org", password)

    assert response.status_code == 302
    assert response.url.startswith(SETUP)
    assert int(client.session["_auth_user_id"]) == people.dsl.pk
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "Set up your authenticator app" in page.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/dashboard/", "/account/", "/account/password/", "/school/", "/school/details/", "/"],
)
def test_user_who_must_enrol_reaches_nothing_but_the_set_up_page(client, people, password, path):
    enter_password(client, "office@example.org", password)

    response = client.get(path, follow=True)

    assert response.redirect_chain, path
    assert response.redirect_chain[-1][0].startswith(SETUP)
    assert response.status_code == 200


def test_user_who_must_enrol_cannot_post_to_account_pages_either(client, people, password):
    enter_password(client, "james.carter@example.org", password)

    response = client.post("/account/sign-out-everywhere/")
    codes = client.post("/account/backup-codes/replace/")

    assert response.url.startswith(SETUP)
    assert codes.url.startswith(SETUP)
    assert not AuditEvent.objects.filter(action="signout.everywhere").exists()


def test_user_at_a_school_not_requiring_a_second_factor_goes_straight_to_the_dashboard(
    client, relaxed_teacher, password
):
    response = enter_password(client, "nia.owusu@example.org", password)

    assert response.status_code == 302
    assert response.url == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/account/").status_code == 200


def test_user_who_chose_an_authenticator_at_a_relaxed_school_must_still_give_a_code(
    client, relaxed_teacher, password
):
    authenticator_for(relaxed_teacher)

    response = enter_password(client, "nia.owusu@example.org", password)

    assert response.url.startswith("/login/verify/")
    assert client.get("/dashboard/").url.startswith("/login/verify/")


def test_email_address_is_not_case_sensitive_at_sign_in(client, people, password):
    response = enter_password(client, "  Chloe.KELAN@Example.ORG", password)

    assert response.status_code == 302
    assert response.url.startswith(SETUP)
    assert int(client.session["_auth_user_id"]) == people.dsl.pk


def test_wrong_password_is_refused_with_the_guides_message(client, people):
    response = enter_password(client, "chloe.kelan@example.org", "not the password at all")

    assert response.status_code == 200
    assert FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_password_and_unknown_email_get_the_same_response(client, people):
    wrong_password = enter_password(client, "chloe.kelan@example.org", "not the password at all")
    unknown_email = enter_password(client, "nobody.here@example.org", "not the password at all")

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

    response = enter_password(client, "james.carter@example.org", password)
    unknown_email = enter_password(client, "nobody.here@example.org", password)

    assert response.status_code == 200
    assert FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == 302
    assert comparable(response, "james.carter@example.org") == comparable(
        unknown_email, "nobody.here@example.org"
    )


def test_deactivated_staff_member_with_an_authenticator_gets_the_same_response_too(
    client, people, password
):
    authenticator_for(people.teacher)
    people.teacher.is_active = False
    people.teacher.save()

    deactivated = enter_password(client, "james.carter@example.org", password)
    wrong_password = enter_password(client, "chloe.kelan@example.org", "not the password at all")

    assert comparable(deactivated, "james.carter@example.org") == comparable(
        wrong_password, "chloe.kelan@example.org"
    )


def test_successful_password_is_audited_against_the_staff_member(client, people, password):
    enter_password(client, "chloe.kelan@example.org", password)

    event = AuditEvent.objects.get()
    assert event.action == "signin.succeeded"
    assert event.actor == people.dsl
    assert event.actor_label == "Chloe Kelan"
    assert event.school == people.dsl.school
    assert event.ip_address == "127.0.0.1"
    assert event.detail == {"next": "enrol"}


def test_failed_sign_in_with_a_known_email_is_audited_against_that_account(client, people):
    enter_password(client, "Chloe.Kelan@example.org", "not the password at all")

    event = AuditEvent.objects.get()
    assert event.action == "signin.failed"
    assert event.actor == people.dsl
    assert event.school == people.dsl.school


def test_failed_sign_in_with_an_unknown_email_is_audited_without_an_account(client, people):
    enter_password(client, "nobody.here@example.org", "not the password at all")

    event = AuditEvent.objects.get()
    assert event.action == "signin.failed"
    assert event.actor is None
    assert event.school is None
    assert event.detail == {"unknown_email": True}


def test_deactivated_staff_members_attempt_is_audited_as_a_failure(client, people, password):
    people.teacher.is_active = False
    people.teacher.save()

    enter_password(client, "james.carter@example.org", password)

    assert list(AuditEvent.objects.values_list("action", "actor")) == [
        ("signin.failed", people.teacher.pk)
    ]


def test_each_attempt_writes_its_own_audit_event(client, people, password):
    device = authenticator_for(people.dsl)
    enter_password(client, "chloe.kelan@example.org", "not the password at all")
    enter_password(client, "nobody.here@example.org", "not the password at all")
    enter_password(client, "chloe.kelan@example.org", password)
    enter_code(client, wrong_code(device))
    enter_code(client, current_code(device))

    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "signin.failed",
        "signin.failed",
        "signin.succeeded",
        "second_factor.failed",
        "second_factor.succeeded",
    ]


def test_session_key_changes_at_sign_in(client, people, password):
    before = client.session
    before["seen_sign_in_page"] = True
    before.save()
    old_key = before.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == old_key

    enter_password(client, "chloe.kelan@example.org", password)

    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)
    assert SessionStore(session_key=new_key)["_auth_user_id"] == str(people.dsl.pk)


def test_sign_in_is_recorded_against_the_new_session(client, people, password):
    enter_password(
        client, "chloe.kelan@example.org", password, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="X"
    )

    row = SignInSession.objects.get()
    assert row.user == people.dsl
    assert row.session_key == client.cookies[settings.SESSION_COOKIE_NAME].value
    assert row.ip_address == "203.0.113.9"
    assert row.second_factor_at is None


def test_signed_in_user_opening_the_sign_in_page_is_sent_to_the_dashboard(signed_in, people):
    response = signed_in(people.teacher).get("/login/")

    assert response.status_code == 302
    assert response.url == "/dashboard/"


def test_user_who_has_only_given_a_password_may_open_the_sign_in_page_again(
    client, people, password
):
    authenticator_for(people.dsl)
    enter_password(client, "chloe.kelan@example.org", password)

    response = client.get("/login/")

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_sign_in_follows_a_safe_next_link_but_not_one_to_another_site(
    client, relaxed_teacher, password
):
    response = client.post(
        "/login/",
        {"username": "nia.owusu@example.org", "password": password, "next": "/account/"},
    )
    assert response.url == "/account/"

    client.post("/logout/")
    response = client.post(
        "/login/",
        {
            "username": "nia.owusu@example.org",
            "password": password,
            "next": "https://evil.example.com/",
        },
    )
    assert response.url == "/dashboard/"


def test_next_link_is_kept_through_the_second_factor(client, people, password):
    device = authenticator_for(people.dsl)

    first = client.post(
        "/login/",
        {"username": "chloe.kelan@example.org", "password": password, "next": "/account/"},
    )
    page = client.get(first.url)
    second = client.post(first.url, {"code": current_code(device)})

    assert 'name="next" value="/account/"' in page.content.decode()
    assert second.url == "/account/"


def test_next_link_with_a_query_string_survives_the_second_factor(client, people, password):
    device = authenticator_for(people.dsl)
    wanted = "/account/?tab=sign-ins&page=2"

    first = client.post(
        "/login/", {"username": "chloe.kelan@example.org", "password": password, "next": wanted}
    )
    second = client.post(first.url, {"code": current_code(device)})

    assert second.url == wanted


def test_next_link_to_another_site_is_not_followed_after_the_second_factor(
    client, people, password
):
    device = authenticator_for(people.dsl)
    enter_password(client, "chloe.kelan@example.org", password)

    response = client.post(
        "/login/verify/?next=https://evil.example.com/", {"code": current_code(device)}
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
    assert "You have logged out of Kestrel." in client.get("/login/").content.decode()


def test_user_waiting_to_give_a_code_can_log_out(client, people, password):
    authenticator_for(people.dsl)
    enter_password(client, "chloe.kelan@example.org", password)

    client.post("/logout/")

    assert "_auth_user_id" not in client.session
    assert client.get("/login/verify/").url.startswith("/login/")


@pytest.mark.parametrize("path", ["/dashboard/", "/account/", "/account/password/"])
def test_signed_in_pages_tell_every_cache_not_to_store_them(signed_in, people, path):
    response = signed_in(people.teacher).get(path)

    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "no-store" in directives
    assert "private" in directives


def test_redirect_after_sign_in_is_not_stored_by_caches(client, people, password):
    response = enter_password(client, "chloe.kelan@example.org", password)

    assert "no-store" in response["Cache-Control"]


def test_second_factor_pages_are_not_stored_by_caches(client, people, password):
    authenticator_for(people.dsl)
    enter_password(client, "chloe.kelan@example.org", password)

    for path in ["/login/verify/", "/login/verify/backup-code/"]:
        assert "no-store" in client.get(path)["Cache-Control"]
