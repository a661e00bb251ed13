"""Key access, as the guide calls it: a key holder unlocks it with their second factor, and it
lapses after the time the school sets (School details, "Key access lasts")."""

import datetime

from django.utils import timezone

KEY_SESSION_KEY = "kestrel_key_unlocked_until"


def key_unlocked_until(request) -> datetime.datetime | None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_key_holder):
        return None
    until = request.session.get(KEY_SESSION_KEY)
    if not until:
        return None
    until = datetime.datetime.fromisoformat(until)
    return until if until > timezone.now() else None


def key_unlocked(request) -> bool:
    return key_unlocked_until(request) is not None


def unlock(request) -> datetime.datetime:
    minutes = request.user.school.key_unlock_minutes
    until = timezone.now() + datetime.timedelta(minutes=minutes)
    request.session[KEY_SESSION_KEY] = until.isoformat()
    return until


def lock(request) -> None:
    request.session.pop(KEY_SESSION_KEY, None)
