"""Secrets kept encrypted in the database, with keys that are not in it (FIELD_ENCRYPTION_KEYS).

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) over a key ring: the first key encrypts,
every key decrypts. To rotate: put a new key first, run `manage.py rotate_encryption_keys` (which
re-encrypts every stored secret with it), then drop the old key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "new_key", "reencrypt"]


@lru_cache(maxsize=4)
def _ring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 bytes in url-safe base64), "
            "comma-separated."
        ) from None


def _key_ring() -> MultiFernet:
    return _ring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(secret: bytes) -> str:
    """The secret encrypted with the first key, as text for a database column."""
    return _key_ring().encrypt(secret).decode("ascii")


def decrypt(token: str) -> bytes:
    """The secret, decrypted with whichever key of the ring made `token` (InvalidToken if none)."""
    return _key_ring().decrypt(token.encode("ascii"))


def reencrypt(token: str) -> str:
    """`token` encrypted again with the first key (rotation); the secret is unchanged."""
    return _key_ring().rotate(token.encode("ascii")).decode("ascii")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
