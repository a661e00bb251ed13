"""Where a signed-in user stands with their second factor, and the devices that provide it.

Authenticator apps (django-otp's TOTP: RFC 6238, 30 s, 6 digits, SHA-1, one step of skew) and
passkeys (django-otp-webauthn) are second factors; backup codes stand in for either once each.
"""

import secrets

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django_otp import devices_for_user
from django_otp_webauthn.models import WebAuthnCredential

from kestrel.accounts.models import (
    KEY_ENCRYPTED_ELSEWHERE,
    Authenticator,
    AuthenticatorSecret,
    BackupCode,
    BackupCodes,
)
from kestrel.encryption import encrypt

VERIFIED = "verified"
PENDING = "pending"  # has a second factor, has not used it in this session
ENROL = "enrol"  # the school requires one and the user has none yet
NOT_REQUIRED = "not_required"

EXEMPT_SESSION_KEY = "kestrel_second_factor_not_required"
BACKUP_CODE_COUNT = 10
BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/l/i to misread


def state(request) -> str:
    """The user's second-factor state in this session."""
    user = request.user
    # django-otp's middleware adds is_verified(); a user signed in during this request lacks it.
    if getattr(user, "is_verified", lambda: False)():
        return VERIFIED
    if request.session.get(EXEMPT_SESSION_KEY) and not user.school.require_two_factor:
        return NOT_REQUIRED  # exempt only while the school still does not require one
    if has_second_factor(user):  # backup codes alone are no factor to verify with
        return PENDING
    return ENROL if user.school.require_two_factor else NOT_REQUIRED


def check_code(device, code: str) -> Authenticator | None:
    """Verifies an authenticator code with the device row locked, so that two requests racing
    with the same code cannot both pass (the second sees the first's last used step)."""
    with transaction.atomic():
        locked = Authenticator.objects.select_for_update().get(pk=device.pk)
        # The window is one step either side of the server's clock, whatever drift a device
        # recorded before drift tracking was turned off (OTP_TOTP_SYNC = False).
        locked.drift = 0
        return locked if locked.verify_token(code) else None


def replace_authenticator(new: Authenticator) -> None:
    """Confirms a newly set-up authenticator; any older one (an old phone) stops working."""
    with transaction.atomic():
        Authenticator.objects.filter(user=new.user).exclude(pk=new.pk).delete()
        new.confirmed = True
        new.save(update_fields=["confirmed"])


def authenticator(user) -> Authenticator | None:
    return Authenticator.objects.filter(user=user, confirmed=True).first()


def passkeys(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def backup_codes(user) -> BackupCodes | None:
    return BackupCodes.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return any(
        not isinstance(device, BackupCodes) for device in devices_for_user(user, confirmed=True)
    )


@transaction.atomic
def new_backup_codes(user) -> list[str]:
    """Replaces the user's backup codes with ten new ones; returns them, to be shown once."""
    device, _ = BackupCodes.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [
        "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(10))
        for _ in range(BACKUP_CODE_COUNT)
    ]
    BackupCode.objects.bulk_create(
        BackupCode(device=device, code_hash=make_password(code)) for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def pending_authenticator(user) -> Authenticator:
    """The unconfirmed authenticator being set up (made on first visit, kept until confirmed)."""
    device = Authenticator.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = new_authenticator(user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def new_authenticator(user, *, name: str, confirmed: bool) -> Authenticator:
    """A new authenticator with a random 20-byte secret (RFC 6238's SHA-1 size), which is kept
    only encrypted (kestrel.encryption); django-otp's own key column never holds it."""
    device = Authenticator.objects.create(
        user=user, name=name, confirmed=confirmed, key=KEY_ENCRYPTED_ELSEWHERE
    )
    AuthenticatorSecret.objects.create(
        device=device, encrypted_key=encrypt(secrets.token_bytes(20))
    )
    return device


def remove_all_factors(user) -> int:
    """Deletes every second factor the user has (authenticators, passkeys, backup codes)."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    return removed
