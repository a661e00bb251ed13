"""WSGI entry point for gunicorn: `gunicorn kestrel.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kestrel.settings_production")

application = get_wsgi_application()
