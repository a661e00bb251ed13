"""The door to files attached to incidents (see `kestrel.access.doors`)."""

from kestrel.access import doors, refusals
from kestrel.access.policies import Viewer, policy_for
from kestrel.files.models import Attachment


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
    policy_for("incident").mark_visible(viewer, attachment.incident)
    return doors.allowed(request, policy, viewer, action, attachment, key)


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
