"""Signing in for tests: fully (password and second factor), as most tests need."""

import datetime
import time

import pyotp
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kestrel.access.keys import KEY_SESSION_KEY
from kestrel.accounts.middleware import SIGNED_IN_AT
from kestrel.accounts.models import Authenticator, SignInSession
from kestrel.accounts.reauth import REAUTH_AT
from kestrel.accounts.second_factor import new_authenticator


def authenticator_for(user) -> Authenticator:
    """The user's confirmed authenticator, made if they have none."""
    device = Authenticator.objects.filter(user=user, confirmed=True).first()
    return device or new_authenticator(user, name="Test phone", confirmed=True)


def current_code(device: TOTPDevice, at=None) -> str:
    """The code the user's phone would show now (or at `at`, a datetime)."""
    totp = pyotp.TOTP(base32_key(device))
    return totp.at(at) if at is not None else totp.now()


def next_unused_code(device: TOTPDevice) -> str:
    """The current code, or, if it was used already (signing in twice within 30 seconds), the
    next step's code, which the one-step clock-skew allowance accepts. A third code within one
    step waits, as a person would, for the clock to come within a step of it: the window never
    drifts further ahead (issue 17, item 10)."""
    device.refresh_from_db()
    now_step = int(time.time()) // device.step
    step = max(now_step, device.last_t + 1)
    if step > now_step + 1:
        time.sleep(max(0.0, (step - 1) * device.step - time.time()) + 0.2)
    return pyotp.TOTP(base32_key(device)).at(step * device.step)


def base32_key(device: TOTPDevice) -> str:
    """The secret the phone was given (decrypted, whichever model `device` was read as)."""
    import base64

    return base64.b32encode(Authenticator.objects.get(pk=device.pk).bin_key).decode()


def sign_in_fully(client, user):
    """Signs the test client in as `user`, second factor included; returns the client."""
    device = authenticator_for(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SIGNED_IN_AT] = timezone.now().isoformat()
    session[REAUTH_AT] = timezone.now().isoformat()  # signing in counts as confirming
    session.save()
    # As Kestrel's own sign-in does, so that "sign out everywhere" can find this session.
    SignInSession.objects.create(
        user=user, session_key=session.session_key, second_factor_at=timezone.now()
    )
    return client


def unlock_key(client):
    """Unlocks key access in the test client's session, as the Unlock page does."""
    session = client.session
    session[KEY_SESSION_KEY] = (timezone.now() + datetime.timedelta(minutes=30)).isoformat()
    session.save()
    return client
