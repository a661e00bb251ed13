"""Changes to the training log. Each is one transaction with its audit event; certificates are
checked by their content and kept encrypted; nothing is ever deleted (a record made by mistake
is removed with a reason and no longer counts)."""

import datetime
import io
from contextlib import nullcontext

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.audit.services import plain_event, record, record_plain
from kestrel.files import encrypted
from kestrel.files.checks import PICTURES, check
from kestrel.files.errors import Refused
from kestrel.files.services import removed_unless_recorded
from kestrel.training.models import (
    Certificate,
    JoiningDate,
    Requirement,
    TrainingImport,
    TrainingRecord,
)
from kestrel.training.selectors import existing_records

CERTIFICATE_TYPES = {"application/pdf", *PICTURES}


class AlreadyRecorded(Exception):
    """The member of staff has a record of this course on this day already."""


def may_manage(user) -> bool:
    """The school's administrator and the DSL team keep the training log."""
    return bool(user.is_active and (user.is_school_admin or user.is_key_holder))


def _check_actor(actor, staff) -> None:
    if not may_manage(actor) or actor.school_id != staff.school_id:
        raise PermissionDenied("Only the administrator and the DSL team keep the training log.")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def record_training(
    *,
    actor,
    staff,
    requirement: Requirement | None,
    course: str,
    completed_on: datetime.date,
    provider: str = "",
    certificate=None,
    request=None,
) -> TrainingRecord:
    """Records training a member of staff has done, with its certificate if given (checked
    first: a refused file records nothing). Raises AlreadyRecorded for the same course on the
    same day."""
    _check_actor(actor, staff)
    course = one_line(requirement.name if requirement is not None else course)
    if existing_records(staff.school_id, [staff.pk]) & {
        (staff.pk, course.casefold(), completed_on)
    }:
        raise AlreadyRecorded
    stored = _stored_certificate(actor, certificate, request) if certificate else None
    kept = removed_unless_recorded(stored["stored_name"]) if stored else nullcontext()
    with kept, transaction.atomic():
        try:
            with transaction.atomic():
                training = TrainingRecord.objects.create(
                    school_id=staff.school_id,
                    staff=staff,
                    requirement=requirement,
                    course=course,
                    completed_on=completed_on,
                    provider=one_line(provider),
                    recorded_by=actor,
                )
        except IntegrityError:  # recorded by someone else at the same moment
            raise AlreadyRecorded from None
        record(
            action="training.recorded",
            actor=actor,
            request=request,
            obj=training,
            detail={
                "staff": staff.pk,
                "requirement": requirement.pk if requirement else None,
                "completed_on": completed_on.isoformat(),
                "certificate": bool(stored),
            },
        )
        if stored:
            _save_certificate(actor, training, stored, request)
    return training


def add_certificate(*, actor, training: TrainingRecord, upload, request=None) -> Certificate:
    """Adds (or replaces) the certificate of a training record."""
    _check_actor(actor, training.staff)
    stored = _stored_certificate(actor, upload, request)
    replaced = getattr(training, "certificate", None)
    with removed_unless_recorded(stored["stored_name"]), transaction.atomic():
        if replaced is not None:
            old_name = replaced.stored_name
            replaced.delete()
            transaction.on_commit(lambda: encrypted.delete_all([old_name]))
        return _save_certificate(actor, training, stored, request, replaced=replaced is not None)


def _stored_certificate(actor, upload, request) -> dict:
    """Checks the file by its content (a PDF or a picture; pictures lose their metadata) and
    keeps it encrypted. Raises Refused, recorded by its reason, never the file's name."""
    try:
        checked = check(upload.name, upload, upload.size)
        if checked.content_type not in CERTIFICATE_TYPES:
            raise Refused(
                f"“{checked.name}” is not a PDF or a picture. Scan or save the certificate as "
                "a PDF, or photograph it (JPEG or PNG), then add it.",
                reason="not a certificate type",
            )
    except Refused as refusal:
        record(
            action="file.refused",
            actor=actor,
            request=request,
            detail={"reason": refusal.reason, "for": "training certificate"},
        )
        raise
    source = io.BytesIO(checked.content) if checked.content is not None else upload
    source.seek(0)
    kept = encrypted.store(
        source, folder=f"certificates/{actor.school_id}", suffix=checked.extension
    )
    return {
        "original_name": checked.name,
        "stored_name": kept.name,
        "content_type": checked.content_type,
        "size": kept.size,
        "sha256": kept.sha256,
    }


def _save_certificate(actor, training, stored: dict, request, replaced=False) -> Certificate:
    certificate = Certificate.objects.create(
        school_id=training.school_id, record=training, uploaded_by=actor, **stored
    )
    record(
        action="training.certificate_replaced" if replaced else "training.certificate_added",
        actor=actor,
        request=request,
        obj=training,
        detail={"type": stored["content_type"], "size": stored["size"]},
    )
    return certificate


def open_certificate(*, actor, training: TrainingRecord, request=None):
    """The certificate's content, decrypted a piece at a time; the download is recorded."""
    record(
        action="training.certificate_downloaded",
        actor=actor,
        request=request,
        obj=training,
        detail={"staff": training.staff_id},
    )
    return encrypted.pieces(training.certificate.stored_name)


def remove_record(*, actor, training: TrainingRecord, reason: str, request=None) -> None:
    """Removes a record made by mistake: kept, marked removed with the reason, no longer
    counted."""
    _check_actor(actor, training.staff)
    with transaction.atomic():
        removed = TrainingRecord.objects.filter(pk=training.pk, removed_at__isnull=True).update(
            removed_at=timezone.now(), removed_by=actor, removed_reason=one_line(reason)[:300]
        )
        if removed:
            record(
                action="training.removed",
                actor=actor,
                request=request,
                obj=training,
                detail={"staff": training.staff_id},
            )


def set_joining_date(*, actor, staff, joined_on: datetime.date, request=None) -> None:
    """Records the day a member of staff joined the school (training at induction is due from
    it)."""
    _check_actor(actor, staff)
    with transaction.atomic():
        JoiningDate.objects.update_or_create(
            staff=staff, defaults={"joined_on": joined_on, "school_id": staff.school_id}
        )
        record(
            action="training.joining_date_set",
            actor=actor,
            request=request,
            obj=staff,
            detail={"joined_on": joined_on.isoformat()},
        )


# --- Importing ---------------------------------------------------------------------------------

NEW = "new"
ALREADY = "already"
REFUSED = "refused"


def save_import(
    *, actor, school, file_name: str, sha256: str, file_format: str, headers, rows, request=None
) -> TrainingImport:
    """Keeps a file's rows, as read and judged (kestrel.training_pages.importing), for the
    administrator or DSL to confirm."""
    if not may_manage(actor):
        raise PermissionDenied
    counts = {outcome: 0 for outcome in (NEW, ALREADY, REFUSED)}
    for row in rows:
        counts[row["outcome"]] += 1
    with transaction.atomic():
        training_import = TrainingImport.objects.create(
            school=school,
            file_name=file_name[:200],
            file_sha256=sha256,
            file_format=file_format,
            headers=headers,
            rows=rows,
            counts=counts,
            uploaded_by=actor,
        )
        record(
            action="training.import_uploaded",
            actor=actor,
            request=request,
            obj=training_import,
            detail={"counts": counts, "sha256": sha256, "format": file_format},
        )
    return training_import


def confirm_import(*, actor, training_import: TrainingImport, request=None) -> int:
    """Adds the import's new records. A record another has added since the preview is not added
    twice; a member of staff deactivated since is skipped. Returns how many were added."""
    if not may_manage(actor):
        raise PermissionDenied
    with transaction.atomic():
        claimed = TrainingImport.objects.filter(
            pk=training_import.pk, state=TrainingImport.State.PREVIEW
        ).update(state=TrainingImport.State.DONE, finished_by=actor, finished_at=timezone.now())
        if not claimed:
            return 0
        new = [row for row in training_import.rows if row["outcome"] == NEW]
        staff_ids = {row["staff_id"] for row in new}
        active = set(
            User.objects.filter(pk__in=staff_ids, school=actor.school, is_active=True).values_list(
                "pk", flat=True
            )
        )
        have = existing_records(actor.school_id, staff_ids)
        records = []
        for row in new:
            day = datetime.date.fromisoformat(row["completed_on"])
            key = (row["staff_id"], row["course"].casefold(), day)
            if row["staff_id"] not in active or key in have:
                continue
            have.add(key)
            records.append(
                TrainingRecord(
                    school_id=actor.school_id,
                    staff_id=row["staff_id"],
                    requirement_id=row["requirement_id"],
                    course=row["course"],
                    completed_on=day,
                    provider=row["provider"],
                    recorded_by=actor,
                    imported_by=training_import,
                )
            )
        TrainingRecord.objects.bulk_create(records)
        record(
            action="training.imported",
            actor=actor,
            request=request,
            obj=training_import,
            detail={"added": len(records), "counts": training_import.counts},
        )
        record_plain(
            [
                plain_event(
                    action="training.recorded",
                    actor=actor,
                    school_id=actor.school_id,
                    model=TrainingRecord,
                    object_id=added.pk,
                    object_label=str(added),
                    detail={"staff": added.staff_id, "import": training_import.pk},
                )
                for added in records
            ]
        )
    return len(records)


def cancel_import(*, actor, training_import: TrainingImport, request=None) -> None:
    if not may_manage(actor):
        raise PermissionDenied
    with transaction.atomic():
        cancelled = TrainingImport.objects.filter(
            pk=training_import.pk, state=TrainingImport.State.PREVIEW
        ).update(
            state=TrainingImport.State.CANCELLED, finished_by=actor, finished_at=timezone.now()
        )
        if cancelled:
            record(
                action="training.import_cancelled",
                actor=actor,
                request=request,
                obj=training_import,
            )
