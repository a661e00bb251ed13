"""Trusted browsers: a signed cookie, set after a full sign-in, that names the accounts signed in
from this browser before (OWASP, "Blocking Brute Force Attacks": device cookies).

A browser presenting a valid cookie for the account being signed in to is not subject to the
per-IP limits (so failures from elsewhere behind the school's address cannot lock the DSL out of
their own browser), nor to the per-account lock that unknown browsers share. It has a lock of its
own instead: five failures within 30 minutes lock that browser for that account for 30 minutes.
The cookie is HttpOnly, SameSite=Lax, Secure when the session cookie is, and holds only the
account's id and a random name for the browser, signed with SECRET_KEY.
"""

import secrets

from django.conf import settings
from django.core import signing

from kestrel.accounts.models import User

COOKIE_NAME = "kestrel_device"
SALT = "kestrel.accounts.devices"
MAX_ACCOUNTS = 10  # a shared staffroom computer remembers its last ten people

_TRUST_LATER = "_kestrel_trust_device"


def _entries(request) -> list[tuple[int, str]]:
    """The (account id, browser name) pairs in the request's cookie, if its signature is good."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return []
    try:
        entries = signing.loads(value, salt=SALT, max_age=settings.DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [
        (entry[0], entry[1])
        for entry in entries
        if isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], int)
        and isinstance(entry[1], str)
    ]


def trusted_device(request, user) -> str | None:
    """This browser's name for `user`'s account, if it has signed in fully as them before."""
    if user is None:
        return None
    for account_id, device in _entries(request):
        if account_id == user.pk:
            return f"{account_id}:{device}"
    return None


def trusts_address(request, email: str) -> bool:
    """Whether this browser has signed in fully as the account with this address. Only the
    accounts the cookie names are looked up, so the work done depends on the cookie the browser
    sent, never on whether the address has an account."""
    account_ids = [account_id for account_id, _ in _entries(request)]
    return bool(account_ids) and User.all_schools.filter(pk__in=account_ids, email=email).exists()


def trust(request, user) -> None:
    """Remembers, for the response, that this browser has just signed in fully as `user`."""
    setattr(request, _TRUST_LATER, user.pk)


class TrustedDeviceMiddleware:
    """Sets the device cookie on the response to a request that completed a full sign-in.

    Every way of completing the second factor (code, backup code, passkey, setting one up) goes
    through one service, which calls trust(); this sets the cookie whichever view answered.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        account_id = getattr(request, _TRUST_LATER, None)
        if account_id is not None:
            kept = [[a, d] for a, d in _entries(request) if a != account_id]
            device = next((d for a, d in _entries(request) if a == account_id), None)
            entries = [[account_id, device or secrets.token_hex(16)], *kept][:MAX_ACCOUNTS]
            response.set_cookie(
                COOKIE_NAME,
                signing.dumps(entries, salt=SALT),
                max_age=settings.DEVICE_COOKIE_AGE,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response
