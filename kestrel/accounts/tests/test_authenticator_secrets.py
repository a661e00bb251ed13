"""Authenticator secrets are kept encrypted, with keys that are not in the database."""

import base64
import importlib
import io
import os
import subprocess
import sys

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from kestrel.accounts.models import KEY_ENCRYPTED_ELSEWHERE, Authenticator, AuthenticatorSecret
from kestrel.accounts.second_factor import check_code
from kestrel.accounts.tests.steps import enter_code, enter_password
from kestrel.encryption import InvalidToken
from kestrel.testing.auth import authenticator_for, base32_key, current_code

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "kestrel.accounts.migrations.0005_authenticator_secrets_encrypted"
)


def stored_columns(device) -> str:
    """Everything the database holds about the device's secret, read with raw SQL."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {TOTPDevice._meta.db_table} WHERE id = %s", [device.pk])
        rows = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT encrypted_key FROM {AuthenticatorSecret._meta.db_table} WHERE device_id = %s",
            [device.pk],
        )
        rows += [row[0] for row in cursor.fetchall()]
    return " ".join(rows)


def plain_forms(secret: bytes) -> list[str]:
    """The ways a secret could sit in a column as plain text."""
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b32encode(secret).decode(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
    ]


def test_database_holds_no_plaintext_authenticator_secret(people):
    device = authenticator_for(people.dsl)
    secret = Authenticator.objects.get(pk=device.pk).bin_key

    stored = stored_columns(device)

    assert len(secret) == 20
    for plain in plain_forms(secret):
        assert plain not in stored
    assert KEY_ENCRYPTED_ELSEWHERE in stored


def test_secret_set_up_on_the_page_is_stored_encrypted(client, people, password):
    enter_password(client, people.dsl.email, password)
    page = client.get("/account/two-factor/setup/").content.decode()
    device = Authenticator.objects.get(user=people.dsl, confirmed=False)
    shown = base32_key(device)

    assert " ".join(shown[i : i + 4] for i in range(0, len(shown), 4)) in page
    assert shown not in stored_columns(device)
    assert base64.b32decode(shown).hex() not in stored_columns(device)


def test_codes_from_the_encrypted_secret_sign_in(client, people, password):
    device = authenticator_for(people.dsl)
    enter_password(client, people.dsl.email, password)

    response = enter_code(client, current_code(device))

    assert response.url == "/dashboard/"


def test_plain_totp_device_cannot_make_codes_from_the_stored_column(people):
    # Whatever reads django-otp's own model gets no key at all, never a guessable one.
    device = TOTPDevice.objects.get(pk=authenticator_for(people.dsl).pk)

    with pytest.raises(ValueError):
        device.bin_key  # noqa: B018


def test_secret_is_unreadable_without_the_key(people):
    device = authenticator_for(people.dsl)

    other_key = [Fernet.generate_key().decode()]
    with override_settings(FIELD_ENCRYPTION_KEYS=other_key), pytest.raises(InvalidToken):
        Authenticator.objects.get(pk=device.pk).bin_key  # noqa: B018


def test_rotated_key_ring_still_decrypts_and_rotation_moves_secrets_to_the_new_key(people):
    device = authenticator_for(people.dsl)
    totp = pyotp.TOTP(base32_key(device))
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, *old]):
        # A new key first: secrets made under the old key still work before rotation.
        assert pyotp.TOTP(base32_key(device)).now() == totp.now()
        out = io.StringIO()
        call_command("rotate_encryption_keys", stdout=out)
    assert "Re-encrypted 1 authenticator secrets" in out.getvalue()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        # The old key is gone: rotated secrets need only the new one, and codes still verify.
        assert check_code(device, totp.now()) is not None
    with pytest.raises(InvalidToken):
        Authenticator.objects.get(pk=device.pk).bin_key  # noqa: B018 (old key only)


def test_new_key_option_prints_a_fernet_key_and_changes_nothing(people):
    device = authenticator_for(people.dsl)
    before = stored_columns(device)
    out = io.StringIO()

    call_command("rotate_encryption_keys", "--new-key", stdout=out)

    Fernet(out.getvalue().strip())  # a valid key
    assert stored_columns(device) == before


def test_migration_encrypts_existing_plain_keys_and_can_undo_it(people):
    # A device as django-otp saved it before this change: the key in plain hex, some drift.
    plain = TOTPDevice.objects.create(user=people.dsl, name="Old phone", confirmed=True, drift=2)
    secret = bytes.fromhex(plain.key)

    migration.encrypt_keys(apps, None)

    for form in plain_forms(secret):
        assert form not in stored_columns(plain)
    device = Authenticator.objects.get(pk=plain.pk)
    assert device.bin_key == secret
    assert device.drift == 0
    assert check_code(device, pyotp.TOTP(base64.b32encode(secret).decode()).now()) is not None

    migration.decrypt_keys(apps, None)

    assert TOTPDevice.objects.get(pk=plain.pk).bin_key == secret


def test_production_settings_refuse_to_start_without_encryption_keys(tmp_path):
    environment = {
        key: value for key, value in os.environ.items() if key != "FIELD_ENCRYPTION_KEYS"
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="kestrel.settings_production",
        SECRET_KEY="x" * 60,
        EMAIL_URL="smtp://mail.example.org:587",
        KESTREL_VAR_DIR=str(tmp_path),
    )

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set in production" in result.stderr
