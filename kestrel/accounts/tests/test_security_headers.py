"""What every signed-in page tells the browser: run only our scripts, never frame, never cache."""

import re

import pytest
from django.conf import settings

from kestrel.accounts.tests.steps import enter_password

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


@pytest.fixture
def page(signed_in, people):
    return signed_in(people.teacher).get("/dashboard/")


def test_signed_in_page_has_a_content_security_policy_with_this_pages_nonce(page):
    policy = directives(page["Content-Security-Policy"])
    nonces = set(re.findall(r'<script[^>]*nonce="([^"]+)"', page.content.decode()))

    assert len(nonces) == 1
    assert policy["script-src"] == ["'self'", f"'nonce-{nonces.pop()}'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    assert "'unsafe-eval'" not in page["Content-Security-Policy"]


def test_nonce_is_new_for_every_response(signed_in, people):
    client = signed_in(people.teacher)

    first = directives(client.get("/dashboard/")["Content-Security-Policy"])["script-src"]
    second = directives(client.get("/dashboard/")["Content-Security-Policy"])["script-src"]

    assert first != second


def test_signed_in_page_has_the_other_security_headers(page):
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    assert "no-store" in {part.strip() for part in page["Cache-Control"].split(",")}


def test_session_cookie_is_http_only_and_same_site_lax(page):
    cookie = page.cookies[settings.SESSION_COOKIE_NAME]

    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie.value


def test_session_cookie_set_at_sign_in_is_http_only_and_same_site_lax(client, people, password):
    response = enter_password(client, "chloe.kelan@example.org", password)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # it dies with the browser


def test_sign_in_page_has_the_policy_too(client, db):
    response = client.get("/login/")

    assert directives(response["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
