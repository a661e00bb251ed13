"""The guide's first-time sign-in in a real browser, with a real SMTP server receiving the email."""

import datetime
import re

import pyotp
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kestrel.environment import email_from_url
from kestrel.testing.browser import assert_accessible
from kestrel.testing.smtp import SMTPServer, body_text

pytestmark = pytest.mark.browser

NEW_PASSWORD = "wren sings over the quiet allotment"


@pytest.fixture
def demo_site(transactional_db, live_server, settings):
    call_command("seed_demo")
    with SMTPServer() as smtp:
        settings.MAILERS = {"default": email_from_url(smtp.url)}
        yield live_server.url, smtp


def test_a_demo_teacher_sets_a_password_enrols_an_authenticator_and_reaches_the_dashboard(
    page, demo_site
):
    site, smtp = demo_site
    page.goto(f"{site}/login/")
    page.get_by_role(
        "link", name="Forgotten your password or using Kestrel for the first time?"
    ).click()
    page.get_by_label("Email Address").fill("priya.shah@example.org")
    page.get_by_role("button", name="Reset Password").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(smtp.inbox) == 1
    message = smtp.inbox[0]
    assert message["To"] == "priya.shah@example.org"
    text = body_text(message)
    assert "Click here to reset your password" in text
    link = re.search(r"http\S+/password-reset/\S+/", text).group(0)
    page.goto(link.replace("http://testserver", site))

    # The meter rates the password as it is typed; the server decides.
    new_password = page.get_by_label("New password", exact=True)
    new_password.fill("Password123!")
    expect(page.locator("#password-strength").get_by_text("Weak", exact=True)).to_be_visible()
    assert_accessible(page)
    new_password.fill(NEW_PASSWORD)
    expect(page.locator("#password-strength").get_by_text("Very strong")).to_be_visible()
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()

    # As the guide says: after setting the password you are directed to the login page.
    assert page.url.endswith("/login/")
    page.get_by_label("Email address").fill("priya.shah@example.org")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Login").click()

    # The school requires a second factor: set up the authenticator app first.
    assert "/account/two-factor/setup/" in page.url
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    codes = page.get_by_role("list", name="Backup codes").get_by_role("listitem")
    assert codes.count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have saved my backup codes").click()

    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Add Incident")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Account Settings").click()
    expect(page.get_by_text("10 of 10 left")).to_be_visible()
    expect(page.get_by_role("cell", name="This session")).to_be_visible()
    assert_accessible(page)

    # Logout, then sign in again with password and a code from the phone.
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_text("You have logged out of Kestrel.")).to_be_visible()
    page.get_by_label("Email address").fill("priya.shah@example.org")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Login").click()
    assert "/login/verify/" in page.url
    assert_accessible(page)
    # The code used at enrolment cannot be used twice: the phone shows the next one.
    in_30_seconds = datetime.datetime.now() + datetime.timedelta(seconds=30)
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).at(in_30_seconds))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()


def test_a_teacher_without_their_phone_signs_in_with_a_backup_code_once(
    page, transactional_db, live_server, people, password
):
    from kestrel.accounts.second_factor import new_backup_codes
    from kestrel.testing.auth import authenticator_for

    authenticator_for(people.teacher)
    codes = new_backup_codes(people.teacher)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(people.teacher.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("link", name="Use a backup code instead").click()
    assert_accessible(page)
    page.get_by_label("Backup code").fill(codes[3].upper())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You used a backup code. You have 9 left")).to_be_visible()
    assert_accessible(page)
