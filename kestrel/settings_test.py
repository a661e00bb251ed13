"""Settings for the test suite: the real settings, mail kept in memory, tasks run at once."""

import tempfile

from kestrel.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Argon2 is deliberately slow; the tests need hashing to work, not to resist attack.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SITE_URL = "http://testserver"
# The tests' Kestrels run on this machine (kestrel.transfer_pages.kestrel_peers).
TRANSFER_PEERS_ALLOW_PRIVATE = True

# Uploaded files go to a throwaway folder, never the developer's var/files.
STORAGES = {
    **STORAGES,  # noqa: F405
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="kestrel-test-files-")},
    },
    # Published audit chain heads: emptied after each test (kestrel/conftest.py).
    "audit_heads": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="kestrel-test-audit-heads-")},
    },
}
