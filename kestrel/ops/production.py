"""Commands that make up data refuse to run on a real server's settings."""

from django.conf import settings
from django.core.management.base import CommandError


def refuse_in_production(command: str) -> None:
    """Stops `command` under `kestrel.settings_production`: made-up children, staff with known
    sign-ins or a million invented incidents must never reach a database that staff use."""
    if getattr(settings, "KESTREL_PRODUCTION", False):
        raise CommandError(
            f"{command} adds made-up schools, staff and children, so it does not run with "
            "kestrel.settings_production. Run it against a database of its own with the "
            "default settings (kestrel.settings)."
        )
