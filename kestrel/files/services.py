"""Storing uploaded files and giving them back, with the audit events that go with them."""

import hashlib
import uuid
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from kestrel.access import refusals
from kestrel.audit.services import record
from kestrel.files.checks import PICTURES, Refused, check
from kestrel.files.models import Attachment
from kestrel.ids import is_id


def check_and_save(upload, *, folder: str, actor, request=None, no_pictures=False) -> dict:
    """Checks an uploaded file by its content and saves it outside the web root under a
    generated name in `folder`, with the extension of the type found (pictures re-encoded
    without their metadata); returns what a file row records about it. A refusal is recorded
    by its reason: never the file's name, which may name a child."""
    try:
        checked = check(upload.name, upload, upload.size, no_pictures=no_pictures)
    except Refused as refusal:
        record(
            action="file.refused",
            actor=actor,
            request=request,
            detail={"reason": refusal.reason},
        )
        raise
    content = ContentFile(checked.content) if checked.content is not None else upload
    content.seek(0)
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    content.seek(0)
    return {
        "original_name": checked.name,
        "stored_name": default_storage.save(
            f"{folder}/{uuid.uuid4().hex}{checked.extension}", content
        ),
        "content_type": checked.content_type,
        "size": content.size,
        "sha256": digest.hexdigest(),
    }


@contextmanager
def removed_unless_recorded(stored_name: str):
    """Deletes a file just kept if the block that writes the row naming it fails: the storage is
    not rolled back with the transaction, and a file no row names would be kept unseen (tidy
    finds unused files by their rows)."""
    try:
        yield
    except BaseException:
        default_storage.delete(stored_name)
        raise


def store_upload(*, actor, upload, request=None, no_pictures: bool = False) -> Attachment:
    """Checks an uploaded file and keeps it, unattached, until its form is submitted. With
    `no_pictures` (a "No images" category is chosen on the form) a picture is refused unkept."""
    stored = check_and_save(
        upload,
        folder=f"attachments/{actor.school_id}",
        actor=actor,
        request=request,
        no_pictures=no_pictures,
    )
    with removed_unless_recorded(stored["stored_name"]), transaction.atomic():
        attachment = Attachment.objects.create(school=actor.school, uploaded_by=actor, **stored)
        record(
            action="file.uploaded",
            actor=actor,
            request=request,
            obj=attachment,
            detail={"type": stored["content_type"], "size": stored["size"]},
        )
    return attachment


def attach(*, actor, ids, incident=None, action=None, request=None) -> int:
    """Attaches the actor's own unattached uploads to the incident or action being saved. An id
    that is not one (another's upload, one already attached, another school's, one removed as
    unused) is refused, and each refusal is recorded."""
    ids = {int(pk) for pk in ids if is_id(pk)}
    if not ids:
        return 0
    target = action.incident if action is not None else incident
    attached = Attachment.objects.filter(
        pk__in=ids,
        uploaded_by=actor,
        school=actor.school,
        incident__isnull=True,
        action__isnull=True,
    ).update(incident=target, action=action)
    if attached < len(ids):
        with transaction.atomic():
            _record_refused(actor, ids, target, action, request)
    return attached


def _unattached(actor, ids):
    return Attachment.objects.filter(
        pk__in=ids,
        uploaded_by=actor,
        school=actor.school,
        incident__isnull=True,
        action__isnull=True,
        content_type__in=PICTURES,
    )


def pictures_among(*, actor, ids) -> bool:
    """Whether the actor's unattached uploads `ids` include a picture (by its content). No
    query when there are no ids."""
    ids = {int(pk) for pk in ids if is_id(pk)}
    return bool(ids) and _unattached(actor, ids).exists()


def discard_pictures(*, actor, ids, request=None) -> int:
    """Deletes the actor's unattached pictures among `ids` at once, file and row: a form in a
    "No images" category refused them, and such an image is not to be kept (UKCIS). An
    unattached upload is the actor's own draft, which `tidy` would delete in two days anyway."""
    ids = {int(pk) for pk in ids if is_id(pk)}
    if not ids:
        return 0
    removed = 0
    for attachment in _unattached(actor, ids):
        with transaction.atomic():
            record(
                action="file.picture_discarded",
                actor=actor,
                request=request,
                obj=attachment,
                detail={"reason": "no images"},
            )
            attachment.delete()
            transaction.on_commit(lambda name=attachment.stored_name: default_storage.delete(name))
        removed += 1
    return removed


MOST_RECORDED = 20  # refusals recorded for one form: enough to show someone probing ids


def _record_refused(actor, ids, incident, action, request) -> None:
    """Records why each id that was not attached was refused. Read only when one was."""
    rows = {
        row["pk"]: row
        for row in Attachment.objects.filter(pk__in=ids).values(
            "pk", "school_id", "incident_id", "action_id"
        )
    }
    for pk in sorted(ids)[:MOST_RECORDED]:
        row = rows.get(pk)
        if row is not None and (row["incident_id"], row["action_id"]) == (
            incident.pk,
            action.pk if action is not None else None,
        ):
            continue  # attached by this save
        if row is None:
            reason = refusals.NO_SUCH_RECORD
        elif row["school_id"] != actor.school_id:
            reason = refusals.OTHER_SCHOOL
        else:
            reason = refusals.NOT_VISIBLE  # another's upload, or one attached already
        detail = {"kind": "file", "id": str(pk), "reason": reason, "attaching": True}
        if request is not None:
            detail["path"] = request.path[:200]
        record(action="access.refused", actor=actor, request=request, detail=detail)


def open_for_download(*, actor, attachment: Attachment, request=None):
    record(
        action="file.downloaded",
        actor=actor,
        request=request,
        obj=attachment,
        student=attachment.incident.student if attachment.incident_id else None,
    )
    return default_storage.open(attachment.stored_name, "rb")


__all__ = [
    "Refused",
    "attach",
    "discard_pictures",
    "open_for_download",
    "pictures_among",
    "removed_unless_recorded",
    "store_upload",
]
