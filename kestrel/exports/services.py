"""Asking for a whole-file export, making it (the task's work) and opening it for download."""

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from kestrel.access.policies import Viewer, check, policy_for
from kestrel.audit.services import record
from kestrel.encryption import decrypt, encrypt
from kestrel.exports import pdf, selectors
from kestrel.exports.models import ExportRequest, State
from kestrel.tasks import enqueue_with_transaction

FOLDER = "exports"


def request_export(*, actor, student, redacted: bool, request=None) -> ExportRequest:
    """Asks for a PDF of the child's whole file, made by a task; recorded in the audit trail."""
    from kestrel.exports.tasks import make_export

    check(Viewer.acting(actor, request), "student", "case_file", student)
    with transaction.atomic():
        export = ExportRequest.objects.create(
            school=student.school, student=student, requested_by=actor, redacted=redacted
        )
        record(
            action="export.requested",
            actor=actor,
            request=request,
            obj=export,
            student=student,
            detail={"redacted": redacted},
        )
        enqueue_with_transaction(make_export, export.pk)
    return export


def contents(export: ExportRequest, viewer: Viewer, *, on_progress=None) -> dict:
    """What the PDF shows, read as the key holder who asked may see it. `on_progress(n)` is told
    how many incidents are read so far."""
    student = export.student
    redaction = selectors.Redaction(student, redacted=export.redacted)
    ids = selectors.visible_incidents(viewer, student)
    if on_progress is not None:
        on_progress(0, len(ids))
    entries, manifest = [], []
    for batch in selectors.incident_batches(ids):
        for incident in batch:
            item = selectors.entry(incident, student, redaction)
            entries.append(item)
            manifest += [{**file, "incident": incident.pk} for file in item.files]
        if on_progress is not None:
            on_progress(len(entries), len(ids))
    case_entries = selectors.case_entries(viewer, student, redaction)
    merged = sorted(
        [*entries, *case_entries],
        # A case entry after an incident of the same moment (it was written about it).
        key=lambda item: (
            (item["at"], 1) if isinstance(item, dict) else (item.incident.occurred_at, 0)
        ),
    )
    author = export.requested_by
    return {
        "student": student,
        "label": selectors.exported_label(student),
        "school_name": student.school.name,
        "exported_by": f"{author.full_name}, {author.job_title}"
        if author.job_title
        else author.full_name,
        "exported_at": timezone.localtime(),
        "redacted": export.redacted,
        "key_facts": selectors.key_facts(student, redaction),
        "file": selectors.case_file(viewer, student, redaction),
        "entries": merged,
        "incident_count": len(entries),
        "case_count": len(case_entries),
        "manifest": manifest,
    }


def make(export: ExportRequest) -> None:
    """Makes the export's PDF and stores it encrypted: the task's work. A key holder who has
    since lost their key, or left, gets nothing (the export fails)."""
    ExportRequest.objects.filter(pk=export.pk).update(state=State.WORKING)
    viewer = Viewer.acting(export.requested_by)
    if not policy_for("student").can(viewer, "case_file", export.student):
        failed(export)
        return

    def on_progress(done: int, total: int) -> None:
        ExportRequest.objects.filter(pk=export.pk).update(progress_done=done, progress_total=total)

    context = contents(export, viewer, on_progress=on_progress)
    document, pages = pdf.pdf_of(pdf.html_of(context))
    name = default_storage.save(
        f"{FOLDER}/{uuid.uuid4().hex}.pdf.fernet", ContentFile(encrypt(document).encode("ascii"))
    )
    with transaction.atomic():
        ExportRequest.objects.filter(pk=export.pk).update(
            state=State.DONE,
            stored_name=name,
            size=len(document),
            sha256=hashlib.sha256(document).hexdigest(),
            pages=pages,
            finished_at=timezone.now(),
        )
        record(
            action="export.made",
            actor=export.requested_by,
            obj=export,
            student=export.student,
            detail={
                "redacted": export.redacted,
                "incidents": context["incident_count"],
                "case_entries": context["case_count"],
                "files": len(context["manifest"]),
                "pages": pages,
            },
        )


def failed(export: ExportRequest) -> None:
    ExportRequest.objects.filter(pk=export.pk).update(
        state=State.FAILED, finished_at=timezone.now()
    )


def open_for_download(*, actor, export: ExportRequest, request=None) -> bytes:
    """The export's PDF, decrypted; the download is recorded (never its content)."""
    with transaction.atomic():
        record(
            action="export.downloaded",
            actor=actor,
            request=request,
            obj=export,
            student=export.student,
            detail={"redacted": export.redacted, "sha256": export.sha256},
        )
    with default_storage.open(export.stored_name, "rb") as stored:
        return decrypt(stored.read().decode("ascii"))
