"""The guide's "Forgotten your password or using Kestrel for the first time?" flow."""

import datetime
import html
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from kestrel.accounts.models import User
from kestrel.accounts.tests.steps import sign_in_with_password_and_code
from kestrel.audit.models import AuditEvent
from kestrel.testing.factories import StudentFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/password-reset/[A-Za-z0-9_-]+/[0-9a-z]+-[0-9a-f]+/)")
NEW_PASSWORD = "kettle orchard lantern 42"
EXPIRED = "This link has expired"
START = datetime.datetime(2025, 11, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def request_reset(client, django_capture_on_commit_callbacks):
    """Asks for a reset link as the guide's form does, running what is queued after commit."""

    def ask(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/password-reset/", {"email": email})

    return ask


def link_in(message) -> str:
    """The path of the one reset link in an email's plain text."""
    links = LINK.findall(message.body)
    assert len(links) == 1, message.body
    return links[0]


def open_link(client, path):
    """Follows the emailed link; Django swaps the token for `set-password` on the first visit."""
    return client.get(path, follow=True)


def set_password(client, page, password, confirm=None):
    return client.post(
        page.request["PATH_INFO"],
        {"new_password1": password, "new_password2": password if confirm is None else confirm},
    )


def comparable(response) -> str:
    return re.sub(r'nonce="[^"]+"', "NONCE", response.content.decode())


def test_reset_page_shows_the_guides_field_and_button(client, db):
    response = client.get("/password-reset/")

    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<label[^>]*for="id_email"[^>]*>\s*Email Address\s*</label>', page)
    assert re.search(r'<input[^>]*type="email"[^>]*name="email"', page)
    assert re.search(r"<button[^>]*type=\"submit\"[^>]*>\s*Reset Password\s*</button>", page)


def test_active_staff_member_is_emailed_a_reset_link(client, people, request_reset):
    response = request_reset("chloe.kelan@example.org")

    assert response.status_code == 302
    assert response.url == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["chloe.kelan@example.org"]
    assert "Ashdown Primary School" in message.subject
    assert "Click here to reset your password" in message.body
    path = link_in(message)
    assert path.startswith("/password-reset/")
    html_part, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="http://testserver{path}">Click here to reset your password</a>' in html_part


def test_reset_email_is_queued_only_once_the_request_commits(
    client, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/password-reset/", {"email": "chloe.kelan@example.org"})

    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [message.to for message in mail.outbox] == [["chloe.kelan@example.org"]]


def test_reset_request_matches_the_email_address_whatever_its_case(client, people, request_reset):
    request_reset("  CHLOE.Kelan@Example.org ")

    assert [message.to for message in mail.outbox] == [["chloe.kelan@example.org"]]


def test_reset_email_contains_no_student_data(client, people, school, request_reset):
    child = StudentFactory(
        school=school,
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        upn="H801200001001",
        tutor_group="1B",
    )

    request_reset("chloe.kelan@example.org")

    message = mail.outbox[0]
    everything = "\n".join([message.subject, message.body, message.alternatives[0][0]])
    for private in [child.legal_first_name, child.legal_last_name, child.upn, "1B"]:
        assert private not in everything


def test_unknown_email_gets_the_same_redirect_and_page_but_no_email(client, people, request_reset):
    known = request_reset("chloe.kelan@example.org")
    known_page = client.get(known.url)
    mail.outbox.clear()

    unknown = request_reset("nobody.here@example.org")
    unknown_page = client.get(unknown.url)

    assert mail.outbox == []
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert unknown_page.status_code == known_page.status_code == 200
    assert comparable(unknown_page) == comparable(known_page)
    assert "Check your email" in unknown_page.content.decode()


def test_deactivated_staff_member_gets_the_same_redirect_and_page_but_no_email(
    client, people, request_reset
):
    known = request_reset("chloe.kelan@example.org")
    known_page = client.get(known.url)
    mail.outbox.clear()
    people.teacher.is_active = False
    people.teacher.save()

    deactivated = request_reset("james.carter@example.org")
    deactivated_page = client.get(deactivated.url)

    assert mail.outbox == []
    assert (deactivated.status_code, deactivated.url) == (known.status_code, known.url)
    assert comparable(deactivated_page) == comparable(known_page)


def test_task_sends_nothing_to_an_account_deactivated_after_the_request(
    client, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/password-reset/", {"email": "james.carter@example.org"})
    people.teacher.is_active = False
    people.teacher.save()

    callbacks[0]()

    assert mail.outbox == []


def test_reset_requests_are_audited_alike_for_known_and_unknown_addresses(
    client, people, request_reset
):
    request_reset("chloe.kelan@example.org")
    request_reset("nobody.here@example.org")

    events = AuditEvent.objects.order_by("id")
    # The request does the same work for any address; only the worker looks it up.
    assert [(e.action, e.actor_id, e.detail, e.ip_address) for e in events] == [
        ("password.link_requested", None, {}, "127.0.0.1"),
        ("password.link_requested", None, {}, "127.0.0.1"),
    ]


def test_reset_request_with_a_malformed_email_keeps_what_was_typed_and_says_why(
    client, people, request_reset
):
    response = request_reset("chloe.kelan at example")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="chloe.kelan at example"' in page
    assert "Enter a valid email address." in page
    assert "There is a problem" in page
    assert mail.outbox == []


def test_following_the_link_and_choosing_a_strong_password_lets_the_user_sign_in(
    client, people, password, request_reset
):
    request_reset("chloe.kelan@example.org")

    page = open_link(client, link_in(mail.outbox[0]))
    assert page.status_code == 200
    assert page.redirect_chain[-1][0].endswith("/set-password/")
    assert "Choose your password" in page.content.decode()

    response = set_password(client, page, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.url == "/login/"
    login_page = client.get("/login/").content.decode()
    assert "Your password has been set." in login_page
    signed_in = client.post(
        "/login/", {"username": "chloe.kelan@example.org", "password": NEW_PASSWORD}
    )
    assert signed_in.url.startswith("/account/two-factor/setup/")  # her school requires one
    assert int(client.session["_auth_user_id"]) == people.dsl.pk
    people.dsl.refresh_from_db()
    assert people.dsl.check_password(NEW_PASSWORD)
    assert not people.dsl.check_password(password)


def test_first_time_user_with_no_password_sets_one_through_the_link(client, school, request_reset):
    newcomer = User.objects.create_user(
        email="new.starter@example.org", school=school, first_name="New", last_name="Starter"
    )
    assert not newcomer.has_usable_password()

    request_reset("new.starter@example.org")
    page = open_link(client, link_in(mail.outbox[0]))
    set_password(client, page, NEW_PASSWORD)

    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="password.set_by_link", actor=newcomer).exists()


def test_link_works_only_once(client, people, request_reset):
    request_reset("chloe.kelan@example.org")
    path = link_in(mail.outbox[0])
    page = open_link(client, path)
    set_password(client, page, NEW_PASSWORD)

    again = open_link(client, path)
    again_in_a_new_browser = open_link(client.__class__(), path)

    for response in (again, again_in_a_new_browser):
        assert response.status_code == 200
        assert EXPIRED in response.content.decode()
        assert 'name="new_password1"' not in response.content.decode()


def test_set_password_page_cannot_be_posted_again_after_the_link_was_used(
    client, people, request_reset
):
    request_reset("chloe.kelan@example.org")
    page = open_link(client, link_in(mail.outbox[0]))
    set_password(client, page, NEW_PASSWORD)

    replay = set_password(client, page, "another quite long password 7")

    assert EXPIRED in replay.content.decode()
    people.dsl.refresh_from_db()
    assert people.dsl.check_password(NEW_PASSWORD)


def test_link_still_works_just_before_an_hour(client, people, request_reset):
    with time_machine.travel(START, tick=False) as clock:
        request_reset("chloe.kelan@example.org")
        clock.shift(datetime.timedelta(minutes=59))

        page = open_link(client, link_in(mail.outbox[0]))

    assert "Choose your password" in page.content.decode()


def test_link_expires_after_an_hour(client, people, password, request_reset):
    with time_machine.travel(START, tick=False) as clock:
        request_reset("chloe.kelan@example.org")
        clock.shift(datetime.timedelta(minutes=61))

        page = open_link(client, link_in(mail.outbox[0]))
        response = set_password(client, page, NEW_PASSWORD)

    assert EXPIRED in page.content.decode()
    assert 'name="new_password1"' not in page.content.decode()
    assert EXPIRED in response.content.decode()
    people.dsl.refresh_from_db()
    assert people.dsl.check_password(password)


def test_link_opened_in_time_but_submitted_after_an_hour_is_refused(
    client, people, password, request_reset
):
    with time_machine.travel(START, tick=False) as clock:
        request_reset("chloe.kelan@example.org")
        clock.shift(datetime.timedelta(minutes=50))
        page = open_link(client, link_in(mail.outbox[0]))
        assert "Choose your password" in page.content.decode()
        clock.shift(datetime.timedelta(minutes=11))

        response = set_password(client, page, NEW_PASSWORD)

    assert EXPIRED in response.content.decode()
    people.dsl.refresh_from_db()
    assert people.dsl.check_password(password)


def test_eleven_character_password_is_refused_and_the_form_stays_usable(
    client, people, password, request_reset
):
    request_reset("chloe.kelan@example.org")
    page = open_link(client, link_in(mail.outbox[0]))

    response = set_password(client, page, "Tr0ub4dor&3")

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "Your password must be at least 12 characters long." in text
    assert 'name="new_password1"' in text
    assert 'value="chloe.kelan@example.org"' in text  # the hidden username for password managers
    people.dsl.refresh_from_db()
    assert people.dsl.check_password(password)

    retry = set_password(client, page, NEW_PASSWORD)

    assert retry.url == "/login/"
    people.dsl.refresh_from_db()
    assert people.dsl.check_password(NEW_PASSWORD)


def test_mismatched_confirmation_is_refused_with_a_clear_message(client, people, request_reset):
    request_reset("chloe.kelan@example.org")
    page = open_link(client, link_in(mail.outbox[0]))

    response = set_password(client, page, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")

    assert response.status_code == 200
    assert "The two password fields didn" in response.content.decode()
    people.dsl.refresh_from_db()
    assert not people.dsl.check_password(NEW_PASSWORD)


def test_tampered_link_is_treated_as_expired(client, people, request_reset):
    request_reset("chloe.kelan@example.org")
    path = link_in(mail.outbox[0])
    tampered = path[:-3] + ("0" if path[-2] != "0" else "1") + "/"

    page = open_link(client, tampered)

    assert EXPIRED in page.content.decode()


def test_newer_link_makes_the_older_one_useless(client, people, request_reset):
    request_reset("chloe.kelan@example.org")
    request_reset("chloe.kelan@example.org")
    older, newer = (link_in(message) for message in mail.outbox)

    old_page = open_link(client, older)
    new_page = open_link(client.__class__(), newer)

    assert older != newer
    assert EXPIRED in old_page.content.decode()
    assert 'name="new_password1"' not in old_page.content.decode()
    assert "Choose your password" in new_page.content.decode()


def test_older_link_opened_before_a_newer_one_was_sent_cannot_be_submitted(
    client, people, password, request_reset
):
    request_reset("chloe.kelan@example.org")
    page = open_link(client, link_in(mail.outbox[0]))
    request_reset("chloe.kelan@example.org")

    response = set_password(client, page, NEW_PASSWORD)

    assert EXPIRED in response.content.decode()
    people.dsl.refresh_from_db()
    assert people.dsl.check_password(password)


def test_fourth_link_in_an_hour_is_not_sent_but_the_page_is_the_same(client, people, request_reset):
    pages = []
    for _ in range(4):
        response = request_reset("chloe.kelan@example.org")
        assert response.url == "/password-reset/sent/"
        pages.append(comparable(client.get(response.url)))

    assert len(mail.outbox) == 3
    assert pages[3] == pages[0]
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "password.link_requested",
        "password.link_requested",
        "password.link_requested",
        "password.link_refused",
    ]


def test_limit_counts_the_address_whatever_its_case(client, people, request_reset):
    for typed in ["chloe.kelan@example.org", "Chloe.Kelan@example.org", "CHLOE.KELAN@EXAMPLE.ORG"]:
        request_reset(typed)

    request_reset(" chloe.kelan@Example.org ")

    assert len(mail.outbox) == 3


def test_limit_for_one_address_leaves_other_addresses_alone(client, people, request_reset):
    for _ in range(4):
        request_reset("chloe.kelan@example.org")

    request_reset("james.carter@example.org")

    assert [message.to for message in mail.outbox][-1] == ["james.carter@example.org"]


def test_links_can_be_sent_again_an_hour_after_the_first(client, people, request_reset):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            request_reset("chloe.kelan@example.org")
            clock.shift(datetime.timedelta(minutes=10))
        request_reset("chloe.kelan@example.org")
        assert len(mail.outbox) == 3
        clock.shift(datetime.timedelta(minutes=31))  # 61 minutes after the first link

        request_reset("chloe.kelan@example.org")
        page = open_link(client, link_in(mail.outbox[-1]))

    assert len(mail.outbox) == 4
    assert "Choose your password" in page.content.decode()


def test_one_ip_address_may_ask_for_30_links_an_hour(client, people, request_reset):
    for n in range(30):
        request_reset(f"someone{n}@example.org")

    response = request_reset("chloe.kelan@example.org")

    assert response.url == "/password-reset/sent/"
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="password.link_refused").count() == 1


def test_unknown_addresses_count_toward_the_limit_too(client, people, request_reset):
    for _ in range(3):
        request_reset("nobody.here@example.org")

    request_reset("nobody.here@example.org")

    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="password.link_refused").count() == 1


def test_setting_a_password_by_link_signs_the_user_out_everywhere(
    client, people, password, request_reset
):
    elsewhere = Client()
    sign_in_with_password_and_code(elsewhere, people.dsl, password)
    assert elsewhere.get("/dashboard/").status_code == 200

    request_reset("chloe.kelan@example.org")
    set_password(client, open_link(client, link_in(mail.outbox[0])), NEW_PASSWORD)

    assert elsewhere.get("/dashboard/").url.startswith("/login/")
    assert AuditEvent.objects.filter(action="signout.everywhere", actor=people.dsl).exists()
