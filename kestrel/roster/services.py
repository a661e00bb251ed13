"""An import's steps, from upload to done. Each is one transaction with its audit event; the slow
steps (checking the file, applying it) are tasks (kestrel.roster.tasks)."""

import datetime

from django.db import transaction
from django.utils import timezone

from kestrel.audit.services import record
from kestrel.roster import columns as known_columns
from kestrel.roster import ctf, uploads
from kestrel.roster.models import (
    Decision,
    Kind,
    Outcome,
    RememberedColumns,
    RosterImport,
    RosterRow,
    State,
)
from kestrel.roster.reading import Unreadable, open_table
from kestrel.roster.tasks import apply_import, check_import
from kestrel.roster.work import CTF_FORMAT, fields_for
from kestrel.schools.scope import scopes_disabled
from kestrel.tasks import enqueue_with_transaction


def start(
    *,
    school,
    actor,
    source,
    name: str,
    kind: str,
    whole_roster: bool,
    request=None,
    enqueue: bool = True,
):
    """Takes an uploaded file: saves it (encrypted), reads its header, and either asks for its
    columns to be matched or starts checking it. Raises Unreadable (having kept nothing) for a
    file that cannot be imported at all."""
    roster_import = RosterImport.objects.create(
        school=school,
        kind=kind,
        state=State.CHECKING,
        file_name=name[:200],
        whole_roster=whole_roster,
        uploaded_by=actor,
    )
    try:
        uploads.store(roster_import, source)
        with uploads.materialised(roster_import) as path:
            if kind == Kind.STUDENTS and ctf.looks_like_ctf(path):
                _start_ctf(roster_import, path, name)
            else:
                _start_table(roster_import, path, name)
    except (Unreadable, uploads.TooLarge) as error:
        message = (
            str(error)
            if isinstance(error, Unreadable)
            else "The file is larger than 64 MB, more than any roster: check it is the right "
            "file, or export the roster without photographs or other extra columns."
        )
        with transaction.atomic():
            uploads.discard(roster_import)
            RosterImport.objects.filter(pk=roster_import.pk).update(
                state=State.REFUSED, message=message, finished_at=timezone.now()
            )
            record(
                action="roster.refused",
                actor=actor,
                request=request,
                obj=roster_import,
                school=school,
                detail={"kind": kind, "size": roster_import.file_size},
            )
        raise Unreadable(message) from error
    with transaction.atomic():
        roster_import.save()
        record(
            action="roster.uploaded",
            actor=actor,
            request=request,
            obj=roster_import,
            school=school,
            detail={
                "kind": kind,
                "format": roster_import.file_format,
                "size": roster_import.file_size,
                "sha256": roster_import.file_sha256,
                "whole_roster": whole_roster,
            },
        )
        if roster_import.state == State.CHECKING and enqueue:
            enqueue_with_transaction(check_import, roster_import.pk)
    return roster_import


def _start_ctf(roster_import: RosterImport, path, name: str) -> None:
    with ctf.open_ctf(path, name=name) as transfer:
        source = transfer.source
    roster_import.file_format = CTF_FORMAT
    roster_import.source_school = _school_name(source)
    # A CTF lists the pupils it transfers, never the whole roll: nobody leaves by one.
    roster_import.whole_roster = False


def _school_name(source) -> str:
    number = "/".join(part for part in (source.la, source.estab) if part)
    return f"{source.name} ({number})" if number and source.name else source.name or number


def _start_table(roster_import: RosterImport, path, name: str) -> None:
    with open_table(path, name=name) as table:
        roster_import.file_format = table.format
        roster_import.headers = table.headers
    fields = fields_for(roster_import.kind)
    remembered = remembered_columns(roster_import.school_id, roster_import.kind)
    mapping = known_columns.recognise(table.headers, fields, remembered)
    roster_import.mapping = {str(index): name for index, name in mapping.items()}
    every_column_known = all(
        index in mapping or known_columns.normalise(header) in remembered
        for index, header in enumerate(table.headers)
    )
    if known_columns.missing_required(mapping, fields) or not every_column_known:
        roster_import.state = State.COLUMNS


def remembered_columns(school_id: int, kind: str) -> dict[str, str]:
    remembered = RememberedColumns.objects.filter(school_id=school_id, kind=kind).first()
    return remembered.columns if remembered else {}


def set_columns(*, roster_import: RosterImport, actor, mapping: dict[int, str], request=None):
    """Saves how the file's columns are matched, remembers it for the school's next file, and
    starts checking the file."""
    with transaction.atomic():
        updated = RosterImport.objects.filter(pk=roster_import.pk, state=State.COLUMNS).update(
            mapping={str(index): name for index, name in mapping.items()},
            state=State.CHECKING,
        )
        if not updated:
            return False
        remembered, _ = RememberedColumns.objects.get_or_create(
            school_id=roster_import.school_id, kind=roster_import.kind
        )
        for index, header in enumerate(roster_import.headers):
            remembered.columns[known_columns.normalise(header)] = mapping.get(index, "")
        remembered.save()
        record(
            action="roster.columns_matched",
            actor=actor,
            request=request,
            obj=roster_import,
            school=roster_import.school,
            detail={"columns": len(roster_import.headers), "matched": len(mapping)},
        )
        enqueue_with_transaction(check_import, roster_import.pk)
    return True


def decide(*, roster_import: RosterImport, row: RosterRow, decision: str, actor, request=None):
    """The administrator's answer for a row held because it matched only on name and birthday."""
    with transaction.atomic():
        RosterRow.objects.filter(
            pk=row.pk, roster_import=roster_import, outcome=Outcome.HELD
        ).update(decision=decision)
        record(
            action="roster.row_decided",
            actor=actor,
            request=request,
            obj=roster_import,
            school=roster_import.school,
            student=row.student if decision == Decision.SAME else None,
            detail={"row": row.row, "decision": decision},
        )


def confirm(
    *,
    roster_import: RosterImport,
    actor,
    leave_out_refused: bool,
    request=None,
    enqueue: bool = True,
) -> bool:
    """Starts applying the preview (once, however often the button is pressed)."""
    with transaction.atomic():
        total = (
            RosterRow.objects.filter(roster_import=roster_import)
            .exclude(outcome=Outcome.REFUSED)
            .count()
        )
        started = RosterImport.objects.filter(pk=roster_import.pk, state=State.PREVIEW).update(
            state=State.APPLYING,
            confirmed_by=actor,
            confirmed_at=timezone.now(),
            leave_out_refused=leave_out_refused,
            progress_done=0,
            progress_total=total,
        )
        if not started:
            return False
        record(
            action="roster.confirmed",
            actor=actor,
            request=request,
            obj=roster_import,
            school=roster_import.school,
            detail={"kind": roster_import.kind, **roster_import.counts},
        )
        if enqueue:  # else the caller applies it itself (the nightly command)
            enqueue_with_transaction(apply_import, roster_import.pk)
    return True


def cancel(*, roster_import: RosterImport, actor, request=None) -> bool:
    """Drops an import not yet confirmed, with its file and preview: nothing has changed."""
    with transaction.atomic():
        cancelled = RosterImport.objects.filter(
            pk=roster_import.pk, state__in=[State.COLUMNS, State.CHECKING, State.PREVIEW]
        ).update(state=State.CANCELLED, finished_at=timezone.now())
        if not cancelled:
            return False
        uploads.discard(roster_import)
        RosterRow.objects.filter(roster_import=roster_import).delete()
        record(
            action="roster.cancelled",
            actor=actor,
            request=request,
            obj=roster_import,
            school=roster_import.school,
            detail={"kind": roster_import.kind},
        )
    return True


ABANDONED_AFTER = datetime.timedelta(days=7)
ROWS_KEPT_FOR = datetime.timedelta(days=30)


def forget_old_imports() -> str:
    """The worker's periodic job: a preview nobody confirmed for ABANDONED_AFTER is cancelled
    (its file and rows deleted), and a finished import's rows, which hold the students' names and
    dates of birth as the file gave them, are deleted ROWS_KEPT_FOR after it finished. The import
    itself (who, when, which file, its counts) stays, as the audit trail does."""
    now = timezone.now()
    # Across schools on purpose: the worker serves the whole installation.
    with scopes_disabled():
        abandoned = RosterImport.objects.filter(
            state__in=[State.COLUMNS, State.CHECKING, State.PREVIEW],
            uploaded_at__lt=now - ABANDONED_AFTER,
        )
        cancelled = sum(cancel(roster_import=item, actor=None) for item in abandoned)
        finished = RosterImport.objects.filter(
            state__in=[State.DONE, State.REFUSED, State.CANCELLED],
            finished_at__lt=now - ROWS_KEPT_FOR,
            rows__isnull=False,
        ).distinct()
        emptied = 0
        for roster_import in finished:
            with transaction.atomic():
                removed, _ = RosterRow.objects.filter(roster_import=roster_import).delete()
                record(
                    action="roster.rows_removed",
                    obj=roster_import,
                    school=roster_import.school,
                    detail={"rows": removed},
                )
            emptied += 1
    return f"{cancelled} abandoned imports cancelled, {emptied} finished imports' rows removed"
