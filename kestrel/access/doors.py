"""One door to every record: `get_<kind>_for_user(request, pk, action)` is the only way a view
obtains a record. Each app keeps its kinds' doors in its `doors` module, built on this one.

Each door reads the record through its policy's `visible(viewer)` and then asks `can(viewer,
action, record)`. Not visible: 404, whether or not the record exists. Visible but the action is
not allowed: 403. A key holder whose key is locked, where unlocking is the way in, is sent to
unlock it, with this page as a safe `next`. Every refusal is recorded (`kestrel.access.refusals`,
with why); on the way in the door reads nothing more than the page would have read anyway.
"""

from typing import NoReturn

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url

from kestrel.access import refusals
from kestrel.access.policies import Viewer, policy_for


def send_to_unlock(request, *, kind: str, asked, reason: str) -> NoReturn:
    """Records the refusal and sends a locked key holder to unlock their key, then back here."""
    refusals.record_refusal(request, kind=kind, asked=asked, reason=reason)
    unlock = redirect_to_login(request.get_full_path(), resolve_url("key:unlock"))
    raise refusals.SendToUnlock(unlock)


def not_visible(request, policy, viewer: Viewer, action: str, **lookup) -> NoReturn:
    """The record is not among those the viewer sees: recorded with why, then 404 (or, for a
    locked key holder where unlocking is the way in, the unlock page)."""
    if policy.sends_to_unlock(viewer, action):
        unlock = refusals.refuse_or_unlock(request, policy.model, kind=policy.kind, **lookup)
        raise refusals.SendToUnlock(unlock)
    refusals.refuse_lookup(request, policy.model, kind=policy.kind, **lookup)


def allowed(request, policy, viewer: Viewer, action: str, obj, asked):
    """The record, if the viewer may do `action` to it; recorded and 403 (or unlock) if not."""
    if policy.can(viewer, action, obj):
        return obj
    if policy.sends_to_unlock(viewer, action):
        send_to_unlock(request, kind=policy.kind, asked=asked, reason=refusals.KEY_LOCKED)
    refusals.refuse(
        request,
        kind=policy.kind,
        asked=asked,
        reason=refusals.NOT_ALLOWED,
        forbidden=True,
        action=action,
    )


def get_for_user(request, kind: str, pk, action: str, *, shape=None, **lookup):
    """The record of `kind` the lookup names, through its policy (`shape` adds eager loading)."""
    policy = policy_for(kind)
    policy.check_action(action)
    viewer = Viewer.of(request)
    rows = policy.visible(viewer)
    if shape is not None:
        rows = shape(rows)
    lookup = lookup or {"pk": pk}
    obj = rows.filter(**lookup).first()
    if obj is None:
        not_visible(request, policy, viewer, action, **lookup)
    return allowed(request, policy, viewer, action, obj, pk)
