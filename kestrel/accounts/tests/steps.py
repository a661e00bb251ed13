"""The steps of signing in, as a person takes them, for the accounts tests."""

import datetime
import html
import re

from django.conf import settings
from django.utils import timezone

from kestrel.testing.auth import authenticator_for, current_code

START = "2025-11-03 09:00:00+00:00"  # a Monday morning in term, for tests that freeze the clock
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def enter_password(client, email, password, **extra):
    """The sign-in page's "Email address", "Password" and "Login"."""
    return client.post("/login/", {"username": email, "password": password}, **extra)


def enter_code(client, code, **extra):
    """The second step: the code from the authenticator app."""
    return client.post("/login/verify/", {"code": code}, **extra)


def enter_backup_code(client, code):
    return client.post("/login/verify/backup-code/", {"code": code})


def sign_in_with_password_and_code(client, user, password, **extra):
    """Signs in through the real pages (so the sign-in is recorded); returns the client."""
    device = authenticator_for(user)
    first = enter_password(client, user.email, password, **extra)
    assert first.url.startswith("/login/verify/"), first
    second = enter_code(client, current_code(device), **extra)
    assert second.status_code == 302 and second.url == "/dashboard/", second
    return client


def wrong_code(device) -> str:
    """A well-formed code the phone would not show within two steps of now."""
    now = timezone.now()
    near = {
        current_code(device, at=now + datetime.timedelta(seconds=30 * step))
        for step in range(-2, 3)
    }
    return next(code for code in (f"{digit}" * 6 for digit in range(10)) if code not in near)


def comparable(response, typed_email: str) -> str:
    """The page with what differs per request (CSRF token, CSP nonce, typed email) masked."""
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)
    page = re.sub(r'nonce="[^"]+"', "NONCE", page)
    return page.replace(typed_email, "TYPED-EMAIL")


def session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def error_text(response) -> str:
    """The page's visible text with tags and entities flattened, for reading messages."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
