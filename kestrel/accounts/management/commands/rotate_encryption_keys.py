"""Re-encrypts every stored secret with the first of FIELD_ENCRYPTION_KEYS (key rotation).

1. `manage.py rotate_encryption_keys --new-key` prints a fresh key.
2. Put it first in FIELD_ENCRYPTION_KEYS, keeping the old keys after it; restart Kestrel.
3. `manage.py rotate_encryption_keys` re-encrypts every authenticator secret with the new key.
4. Remove the old keys from FIELD_ENCRYPTION_KEYS; restart Kestrel.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from kestrel.accounts.models import AuthenticatorSecret
from kestrel.encryption import new_key, reencrypt
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = "Re-encrypts stored authenticator secrets with the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new key to add, and change nothing."
        )

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(self, *args, **options):
        if options.get("new_key"):
            self.stdout.write(new_key())
            return
        done = 0
        with transaction.atomic():
            for secret in AuthenticatorSecret.objects.select_for_update().order_by("pk"):
                secret.encrypted_key = reencrypt(secret.encrypted_key)
                secret.save(update_fields=["encrypted_key"])
                done += 1
        self.stdout.write(f"Re-encrypted {done} authenticator secrets with the first key.")
