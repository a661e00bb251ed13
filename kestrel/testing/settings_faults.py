"""Settings for the worker processes that the fault tests start and kill (kestrel/ops/tests/
test_worker_faults.py): the real settings (database and mail from the environment), with the
worker's bounds shortened from minutes to seconds."""

from kestrel.settings import *  # noqa: F403

WORKER_PERIOD_SECONDS = 1
ALERT_EMAIL_CLAIM_SECONDS = 2
ALERT_EMAIL_SWEEP_SECONDS = 2
ALERT_EMAIL_BACKOFF_SECONDS = [1, 1, 1, 1]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
