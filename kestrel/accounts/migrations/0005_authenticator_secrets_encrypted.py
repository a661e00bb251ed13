"""Authenticator secrets leave django-otp's plain key column for AuthenticatorSecret, encrypted with
FIELD_ENCRYPTION_KEYS (issue 17, item 11); and drift recorded by django-otp's old drift tracking is
cleared (item 10: the window is one step either side of the server's clock)."""

from binascii import unhexlify

import django.db.models.deletion
from django.db import migrations, models

from kestrel.encryption import decrypt, encrypt

# As kestrel.accounts.models.KEY_ENCRYPTED_ELSEWHERE stood when this migration was written.
KEY_ENCRYPTED_ELSEWHERE = "encrypted: see kestrel_accounts.AuthenticatorSecret"


def encrypt_keys(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    AuthenticatorSecret = apps.get_model("accounts", "AuthenticatorSecret")
    for device in TOTPDevice.objects.exclude(key=KEY_ENCRYPTED_ELSEWHERE).iterator():
        secret = encrypt(unhexlify(device.key.encode()))
        AuthenticatorSecret.objects.update_or_create(
            device=device, defaults={"encrypted_key": secret}
        )
        TOTPDevice.objects.filter(pk=device.pk).update(key=KEY_ENCRYPTED_ELSEWHERE, drift=0)
    TOTPDevice.objects.exclude(drift=0).update(drift=0)


def decrypt_keys(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    AuthenticatorSecret = apps.get_model("accounts", "AuthenticatorSecret")
    for secret in AuthenticatorSecret.objects.iterator():
        key = decrypt(secret.encrypted_key).hex()
        TOTPDevice.objects.filter(pk=secret.device_id).update(key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_staff_search_text"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthenticatorSecret",
            fields=[
                (
                    "device",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="kestrel_secret",
                        serialize=False,
                        to="otp_totp.totpdevice",
                    ),
                ),
                ("encrypted_key", models.TextField()),
            ],
        ),
        migrations.CreateModel(
            name="Authenticator",
            fields=[],
            options={
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(encrypt_keys, decrypt_keys, elidable=False),
    ]
