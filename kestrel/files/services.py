"""Storing uploaded files and giving them back, with the audit events that go with them."""

import hashlib
import uuid

from django.core.files.storage import default_storage
from django.db import transaction

from kestrel.audit.services import record
from kestrel.files.checks import MAX_BYTES, Refused, check
from kestrel.files.models import Attachment

SNIFF_BYTES = 64 * 1024


def store_upload(*, actor, upload, request=None) -> Attachment:
    """Checks an uploaded file and stores it outside the web root under a generated name."""
    if upload.size > MAX_BYTES:
        check(upload.name, b"", upload.size)  # raises the size message
    head = upload.read(SNIFF_BYTES)
    checked = check(upload.name, head, upload.size)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored_name = f"attachments/{actor.school_id}/{uuid.uuid4().hex}"
    with transaction.atomic():
        saved_as = default_storage.save(stored_name, upload)
        attachment = Attachment.objects.create(
            school=actor.school,
            uploaded_by=actor,
            original_name=checked.name,
            stored_name=saved_as,
            content_type=checked.content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
        )
        record(
            action="file.uploaded",
            actor=actor,
            request=request,
            obj=attachment,
            detail={"type": checked.content_type, "size": upload.size},
        )
    return attachment


def attach(*, actor, ids, incident=None, action=None) -> int:
    """Attaches the actor's own unattached uploads to the incident or action being saved."""
    return Attachment.objects.filter(
        pk__in=[pk for pk in ids if str(pk).isdigit()],
        uploaded_by=actor,
        school=actor.school,
        incident__isnull=True,
        action__isnull=True,
    ).update(incident=action.incident if action is not None else incident, action=action)


def open_for_download(*, actor, attachment: Attachment, request=None):
    with transaction.atomic():
        record(
            action="file.downloaded",
            actor=actor,
            request=request,
            obj=attachment,
            student=attachment.incident.student if attachment.incident_id else None,
        )
    return default_storage.open(attachment.stored_name, "rb")


__all__ = ["Refused", "attach", "open_for_download", "store_upload"]
