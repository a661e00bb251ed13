"""Passkeys as a second factor, with Chromium's virtual authenticator standing in for a phone."""

import pytest
from playwright.sync_api import expect

from kestrel.testing.browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def site(transactional_db, live_server, people):
    return live_server.url


def add_virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def test_a_dsl_adds_a_passkey_and_uses_it_instead_of_a_code_next_time(page, site, people, password):
    add_virtual_authenticator(page)
    sign_in(page, site, people.dsl.email, password)
    page.get_by_role("link", name="Account Settings").click()
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-register-status-message")).to_contain_text(
        "Registration successful"
    )
    page.reload()
    expect(page.get_by_text("Passkey, added")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Logout").click()
    page.get_by_label("Email address").fill(people.dsl.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()


def forget_recent_confirmation(page):
    """As if the sign-in were more than five minutes ago."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from kestrel.accounts.reauth import REAUTH_AT

    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    session.pop(REAUTH_AT)
    session.save()


def test_a_dsl_confirms_it_is_them_with_a_passkey_before_changing_their_password(
    page, site, people, password
):
    add_virtual_authenticator(page)
    sign_in(page, site, people.dsl.email, password)
    page.get_by_role("link", name="Account Settings").click()
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-register-status-message")).to_contain_text(
        "Registration successful"
    )
    forget_recent_confirmation(page)

    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Or use a passkey")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey").click()

    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
