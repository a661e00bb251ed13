"""Settings for `make bench`: the production settings, with the floor view added to the URLs.

`manage.py bench` sets the environment (a secret key made for the run, an SMTP address nothing
listens on, the bench's own database) and serves Kestrel with these settings under gunicorn.
"""

from kestrel.settings_production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The bench seeds its own database (never one that staff use) with seed_scale under these
# settings: the refusal of made-up data in production (kestrel.ops.production) does not apply.
KESTREL_PRODUCTION = False
