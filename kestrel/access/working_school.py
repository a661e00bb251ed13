"""Which school a request works in: the signed-in user's own, or another school of their trust
they have chosen with "Switch school" (kept in the database-backed session, so no new sign-in).

At a chosen school the request's user carries that school and the rights they hold there (a
membership, or the trust safeguarding lead's role: `kestrel.accounts.trusts.rights_at`): the
scope, `request.school`, every permission and policy, the audit chain, alerts and the Dashboard
all follow. If the rights have gone since, the request is back at the user's own school.

Key access is per school: it is unlocked at one school (`kestrel.access.keys`) and switching
locks it, on the record in both schools' chains.
"""

from django.db import transaction

from kestrel.access import keys, refusals
from kestrel.accounts import trusts
from kestrel.audit.services import record
from kestrel.ids import is_id

SCHOOL_SESSION_KEY = "kestrel_working_school"


def apply(request) -> None:
    """Puts the request's user at the school their session has chosen, with their rights there."""
    chosen = request.session.get(SCHOOL_SESSION_KEY)
    user = request.user
    if chosen is None or chosen == user.school_id:
        return
    rights = trusts.rights_at(user, chosen)
    if rights is None:  # their place there has ended: back home
        request.session.pop(SCHOOL_SESSION_KEY, None)
        return
    user.work_at(
        rights.school,
        access_level=rights.access_level,
        is_key_holder=rights.is_key_holder,
        is_school_admin=rights.is_school_admin,
    )


def switch(request, asked: str):
    """Moves the session to the school `asked` names (the user's own school, or one they hold
    rights at), locking the key, and returns it; refused and recorded (403) for a school they may
    not work at (or a value that names no school)."""
    user = request.user
    leaving = user.school
    school_id = int(asked) if is_id(asked) else None
    if school_id == leaving.pk:
        return leaving
    home = school_id == user.home_school_id
    rights = None if home or school_id is None else trusts.rights_at(user, school_id)
    if not home and rights is None:
        refusals.refuse(
            request,
            kind="school",
            asked=asked,
            reason=refusals.NOT_ALLOWED,
            forbidden=True,
            action="switch",
        )
    was_unlocked = keys.key_unlocked(request)
    arriving = user.home_rights["school"] if home else rights.school
    with transaction.atomic():
        keys.lock(request)
        record(
            action="school.switched_away",
            request=request,
            school=leaving,
            detail={"to": arriving.pk, "key_locked": was_unlocked},
        )
        record(
            action="school.switched_in",
            request=request,
            school=arriving,
            detail={"from": leaving.pk, "key_locked": was_unlocked},
        )
        if home:
            request.session.pop(SCHOOL_SESSION_KEY, None)
        else:
            request.session[SCHOOL_SESSION_KEY] = school_id
    return arriving
