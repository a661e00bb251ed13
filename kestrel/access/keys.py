"""Key access, as the guide calls it: a key holder unlocks it with their second factor, and it
lapses after the time the school sets (School details, "Key access lasts"). It is unlocked at
one school: at another school of the trust (kestrel.access.working_school) it is locked."""

import datetime

from django.utils import timezone

KEY_SESSION_KEY = "kestrel_key_unlocked_until"
KEY_SCHOOL_SESSION_KEY = "kestrel_key_unlocked_at_school"


def key_unlocked_until(request) -> datetime.datetime | None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_key_holder):
        return None
    until = request.session.get(KEY_SESSION_KEY)
    if not until:
        return None
    # Unlocked at one school only (a session from before schools were recorded: the own school).
    if request.session.get(KEY_SCHOOL_SESSION_KEY, user.home_school_id) != user.school_id:
        return None
    until = datetime.datetime.fromisoformat(until)
    return until if until > timezone.now() else None


def key_unlocked(request) -> bool:
    return key_unlocked_until(request) is not None


def unlock(request) -> datetime.datetime:
    minutes = request.user.school.key_unlock_minutes
    until = timezone.now() + datetime.timedelta(minutes=minutes)
    request.session[KEY_SESSION_KEY] = until.isoformat()
    request.session[KEY_SCHOOL_SESSION_KEY] = request.user.school_id
    return until


def lock(request) -> None:
    request.session.pop(KEY_SESSION_KEY, None)
    request.session.pop(KEY_SCHOOL_SESSION_KEY, None)
