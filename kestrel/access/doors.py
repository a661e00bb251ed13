"""One door to every record: `get_<kind>_for_user(request, pk, action)` is the only way a view
obtains a record.

Each door reads the record through its policy's `visible(viewer)` and then asks `can(viewer,
action, record)`. Not visible: 404, whether or not the record exists. Visible but the action is
not allowed: 403. A key holder whose key is locked, where unlocking is the way in, is sent to
unlock it, with this page as a safe `next`. Every refusal is recorded (`kestrel.access.refusals`,
with why); on the way in the door reads nothing more than the page would have read anyway.
"""

from typing import NoReturn

from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch, QuerySet
from django.shortcuts import resolve_url

from kestrel.access import refusals
from kestrel.access.policies import INCIDENTS, Viewer, policy_for
from kestrel.files.models import Attachment
from kestrel.incidents.selectors import RELATED, incident_for_page
from kestrel.library.models import DocumentVersion


def _unlock(request, *, kind: str, asked, reason: str) -> NoReturn:
    refusals.record_refusal(request, kind=kind, asked=asked, reason=reason)
    unlock = redirect_to_login(request.get_full_path(), resolve_url("key:unlock"))
    raise refusals.SendToUnlock(unlock)


def _not_visible(request, policy, viewer: Viewer, action: str, **lookup) -> NoReturn:
    """The record is not among those the viewer sees: recorded with why, then 404 (or, for a
    locked key holder where unlocking is the way in, the unlock page)."""
    if policy.sends_to_unlock(viewer, action):
        unlock = refusals.refuse_or_unlock(request, policy.model, kind=policy.kind, **lookup)
        raise refusals.SendToUnlock(unlock)
    refusals.refuse_lookup(request, policy.model, kind=policy.kind, **lookup)


def _allowed(request, policy, viewer: Viewer, action: str, obj, asked):
    """The record, if the viewer may do `action` to it; recorded and 403 (or unlock) if not."""
    if policy.can(viewer, action, obj):
        return obj
    if policy.sends_to_unlock(viewer, action):
        _unlock(request, kind=policy.kind, asked=asked, reason=refusals.KEY_LOCKED)
    refusals.refuse(
        request,
        kind=policy.kind,
        asked=asked,
        reason=refusals.NOT_ALLOWED,
        forbidden=True,
        action=action,
    )


def _get(request, kind: str, pk, action: str, *, shape=None, **lookup):
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
        _not_visible(request, policy, viewer, action, **lookup)
    return _allowed(request, policy, viewer, action, obj, pk)


def get_incident_for_user(request, pk: int, action: str, *, relations=tuple(RELATED)):
    """The incident with what its page shows (`relations`), if the viewer may do `action`."""
    INCIDENTS.check_action(action)
    viewer = Viewer.of(request)
    incident = incident_for_page(viewer, pk, relations)
    if incident is None:
        _not_visible(request, INCIDENTS, viewer, action, pk=pk)
    INCIDENTS.mark_visible(viewer, incident)
    return _allowed(request, INCIDENTS, viewer, action, incident, pk)


def get_file_for_user(request, key, action: str = "download") -> Attachment:
    """A file attached to an incident, by its key, for whoever may open the incident. Every
    refusal answers 404 (whether or not the file exists) and is recorded with why."""
    policy = policy_for("file")
    policy.check_action(action)
    viewer = Viewer.of(request)
    attachment = policy.visible(viewer).filter(key=key).select_related("incident__student").first()
    if attachment is None:
        reason, detail = _file_refusal(request, viewer, key)
        refusals.refuse(request, kind="file", asked=key, reason=reason, **detail)
    INCIDENTS.mark_visible(viewer, attachment.incident)
    return _allowed(request, policy, viewer, action, attachment, key)


def _file_refusal(request, viewer: Viewer, key) -> tuple[str, dict]:
    """Why a file is not among those the viewer may download, and what else the audit row says.
    Read only once it is refused, across schools as `refusals.reason_for` reads (the base
    manager has no school scope): the audit row says when it was another school's."""
    attachment = Attachment._base_manager.filter(key=key).select_related("incident").first()
    if attachment is None:
        return refusals.NO_SUCH_RECORD, {}
    if attachment.school_id != request.user.school_id:
        return refusals.OTHER_SCHOOL, {}
    if attachment.incident_id is None:
        # Uploaded on a form not yet submitted (or a draft given up): it belongs to no record.
        return refusals.NOT_VISIBLE, {"upload": "unfinished"}
    if not viewer.key_unlocked and viewer.key_opens(attachment.incident.required_rank):
        return refusals.KEY_LOCKED, {}
    return refusals.NOT_VISIBLE, {}


def get_student_for_user(request, pk: int, action: str):
    """A student of the viewer's school, for their chronology or their audit trail."""
    return _get(request, "student", pk, action)


def get_colleague_for_user(request, pk: int, action: str = "audit_trail"):
    """A colleague of the viewer's school, for the audit trail of what they have viewed."""
    return _get(request, "staff", pk, action)


def _with_versions(documents: QuerySet) -> QuerySet:
    return documents.select_related("category").prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"))
    )


def get_document_for_user(request, pk: int, action: str):
    """A Library document with its versions, newest first."""
    return _get(request, "document", pk, action, shape=_with_versions)


def get_document_version_for_user(request, pk: int, number: int, action: str = "download"):
    """One version of a Library document, with its document, in one query."""
    policy = policy_for("document")
    policy.check_action(action)
    viewer = Viewer.of(request)
    version = (
        DocumentVersion.objects.filter(
            document__in=policy.visible(viewer), document_id=pk, number=number
        )
        .select_related("document")
        .first()
    )
    if version is None:
        refusals.refuse_lookup(
            request,
            DocumentVersion,
            kind="document_version",
            school_path="document__school",
            document_id=pk,
            number=number,
        )
    _allowed(request, policy, viewer, action, version.document, pk)
    return version


def get_alert_for_user(request, pk: int, action: str):
    """One of the viewer's own alerts, with its incident and student."""
    return _get(
        request, "alert", pk, action, shape=lambda rows: rows.select_related("incident__student")
    )


def find_alert_for_user(request, asked, action: str = "open"):
    """For a page that carries on without the record ("next alert"): the viewer's alert, or
    None, the refusal recorded as the doors record it."""
    policy = policy_for("alert")
    policy.check_action(action)
    alert = policy.visible(Viewer.of(request)).filter(pk=asked).first()
    if alert is None:
        refusals.record_refusal(
            request,
            kind="alert",
            asked=asked,
            reason=refusals.reason_for(request, policy.model, pk=asked),
        )
    return alert
