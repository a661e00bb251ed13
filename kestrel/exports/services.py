"""Asking for a whole-file export, making it (the task's work) and opening it for download."""

import datetime
import io
import tempfile
from collections.abc import Iterator
from functools import partial

from django.db import transaction
from django.utils import timezone

from kestrel.access.policies import Viewer, check, policy_for
from kestrel.audit.services import record
from kestrel.exports import attached_files, pdf, selectors, storage
from kestrel.exports.models import ExportRequest, State
from kestrel.schools.scope import scopes_disabled
from kestrel.tasks import enqueue_with_transaction
from kestrel.transfers.models import Transfer


def request_export(*, actor, student, redacted: bool, request=None) -> ExportRequest:
    """Asks for a PDF of the child's whole file, made by a task; recorded in the audit trail.
    While one of the actor's exports of the child is still being made, that one is returned."""
    from kestrel.exports.tasks import make_export

    check(Viewer.acting(actor, request), "student", "case_file", student)
    with transaction.atomic():
        # One at a time for each child and key holder: a second press waits for the first.
        being_made = ExportRequest.objects.filter(
            student=student, requested_by=actor, state__in=[State.WAITING, State.WORKING]
        ).first()
        if being_made is not None:
            return being_made
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
    # An export made to send the file to the child's next school: its cover says so and its
    # last page is the receipt slip (kestrel.transfers).
    transfer = Transfer.objects.filter(export=export).first()
    return {
        "transfer": transfer,
        "return_to": author.email if transfer else "",
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
    """Makes the export's PDF (and, for the whole file, the ZIP of its attached files) and
    stores them encrypted: the task's work. A key holder who has since lost their key, or
    left, gets nothing (the export fails)."""
    ExportRequest.objects.filter(pk=export.pk).update(state=State.WORKING)
    viewer = Viewer.acting(export.requested_by)
    if not policy_for("student").can(viewer, "case_file", export.student):
        failed(export)
        return

    def on_progress(done: int, total: int) -> None:
        ExportRequest.objects.filter(pk=export.pk).update(progress_done=done, progress_total=total)

    context = contents(export, viewer, on_progress=on_progress)
    document, pages = pdf.pdf_of(pdf.html_of(context))
    stored = storage.store(io.BytesIO(document), suffix=".pdf")
    del document
    files, checked = None, {}
    if context["manifest"] and not export.redacted:
        with tempfile.TemporaryFile(prefix="kestrel-export-") as bundle:
            checked = attached_files.write_zip(context["manifest"], bundle)
            bundle.seek(0)
            files = storage.store(bundle, suffix=".zip")
    with transaction.atomic():
        ExportRequest.objects.filter(pk=export.pk).update(
            state=State.DONE,
            stored_name=stored.name,
            size=stored.size,
            sha256=stored.sha256,
            pages=pages,
            files_stored_name=files.name if files else "",
            files_size=files.size if files else 0,
            files_count=checked.get("written", 0),
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
                **({f"files_{key}": value for key, value in checked.items()}),
            },
        )


def failed(export: ExportRequest) -> None:
    ExportRequest.objects.filter(pk=export.pk).update(
        state=State.FAILED, finished_at=timezone.now()
    )


def open_for_download(
    *, actor, export: ExportRequest, files: bool = False, request=None
) -> Iterator[bytes]:
    """The export's PDF (or, with `files`, the ZIP of its attached files), decrypted a piece at
    a time; the download is recorded (never its content)."""
    name = export.files_stored_name if files else export.stored_name
    if not name:
        raise ValueError("Nothing stored to download")
    with transaction.atomic():
        record(
            action="export.files_downloaded" if files else "export.downloaded",
            actor=actor,
            request=request,
            obj=export,
            student=export.student,
            detail={"redacted": export.redacted, "sha256": export.sha256}
            if not files
            else {"files": export.files_count},
        )
    return storage.pieces(name)


# An export is a copy of the child's file outside the record: kept long enough to download for
# a meeting or a transfer, then deleted (the request, who downloaded it and when stay in the
# audit trail). One not finished within a day was lost with its worker.
KEPT_FOR = datetime.timedelta(days=7)
LOST_AFTER = datetime.timedelta(days=1)


def forget_old_exports() -> str:
    """The worker's periodic job: the files of exports made more than KEPT_FOR ago (and not kept
    until later, for a download link) are deleted (the export's row stays, without them); an
    export still waiting after LOST_AFTER fails."""
    now = timezone.now()
    # Across schools on purpose: the worker serves the whole installation.
    with scopes_disabled():
        lost = ExportRequest.objects.filter(
            state__in=[State.WAITING, State.WORKING], created_at__lt=now - LOST_AFTER
        ).update(state=State.FAILED, finished_at=now)
        old = (
            ExportRequest.objects.filter(state=State.DONE, finished_at__lt=now - KEPT_FOR)
            .exclude(stored_name="", files_stored_name="")
            # A transfer's download link still open keeps its file (kestrel.transfer_pages).
            .exclude(kept_until__gt=now)
        )
        removed = 0
        for export in old.select_related("student", "school"):
            names = [export.stored_name, export.files_stored_name]
            with transaction.atomic():
                ExportRequest.objects.filter(pk=export.pk).update(
                    stored_name="", files_stored_name=""
                )
                record(
                    action="export.removed",
                    obj=export,
                    school=export.school,
                    student=export.student,
                    detail={"days": KEPT_FOR.days},
                )
                transaction.on_commit(partial(storage.delete_all, names))
            removed += 1
    return f"{removed} old exports' files deleted, {lost} lost exports failed"
