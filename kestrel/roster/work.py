"""The slow steps of an import, run by its tasks: checking the file, and applying its preview."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.roster import columns as known_columns
from kestrel.roster import ctf, pupils, uploads
from kestrel.roster.inserts import without_waiting_for_disk
from kestrel.roster.models import Kind, RosterImport, RosterRow, State
from kestrel.roster.reading import Unreadable, open_table
from kestrel.students.models import Student
from kestrel.transfers.services import start_for_leavers

CTF_FORMAT = "Common Transfer File (XML)"


def fields_for(kind: str):
    return known_columns.STUDENT_FIELDS if kind == Kind.STUDENTS else known_columns.STAFF_FIELDS


@contextmanager
def file_rows(roster_import: RosterImport) -> Iterator[Iterator[tuple[int, dict[str, str]]]]:
    """The uploaded file's rows as field name -> text, however the file came."""
    with uploads.materialised(roster_import) as path:
        if roster_import.file_format == CTF_FORMAT:
            with ctf.open_ctf(path, name=roster_import.file_name) as transfer:
                yield transfer.pupils
            return
        mapping = {int(index): name for index, name in roster_import.mapping.items() if name}
        with open_table(path, name=roster_import.file_name) as table:
            yield (
                (number, {name: cells[i] if i < len(cells) else "" for i, name in mapping.items()})
                for number, cells in table.rows
            )


def check(roster_import: RosterImport) -> None:
    """The check task's work: the file read, matched and previewed, then the file discarded."""
    engine = _engine(roster_import.kind)

    try:
        with file_rows(roster_import) as rows:
            counts = engine.preview(roster_import, rows, progress=_progress(roster_import))
        # Applying reads them back a chunk at a time.
        refresh_statistics(RosterRow, written=sum(counts[name] for name in WRITTEN_OUTCOMES))
    except Unreadable as error:
        with transaction.atomic():
            RosterRow.objects.filter(roster_import=roster_import).delete()
            uploads.discard(roster_import)
            RosterImport.objects.filter(pk=roster_import.pk).update(
                state=State.REFUSED, message=str(error), finished_at=timezone.now()
            )
        return
    with transaction.atomic():
        uploads.discard(roster_import)
        previewed = RosterImport.objects.filter(pk=roster_import.pk, state=State.CHECKING).update(
            state=State.PREVIEW, counts=counts, progress_done=counts["rows"]
        )
        if not previewed:  # cancelled while it was being checked: keep nothing of it
            RosterRow.objects.filter(roster_import=roster_import).delete()


def _engine(kind: str):
    if kind == Kind.STUDENTS:
        return pupils
    from kestrel.roster import staff

    return staff


def apply(roster_import: RosterImport) -> None:
    """The apply task's work."""
    engine = _engine(roster_import.kind)

    applied = engine.apply(
        roster_import, actor=roster_import.confirmed_by, progress=_progress(roster_import)
    )
    pupils.finish(roster_import, actor=roster_import.confirmed_by)
    if roster_import.kind == Kind.STUDENTS and applied.get("left"):
        # Leavers with a child protection file here: their file is due at the next school in 5
        # school days, so the DSL team is told now, not at the worker's next round.
        start_for_leavers(roster_import.school_id)
    refresh_statistics(
        Student if roster_import.kind == Kind.STUDENTS else User,
        written=sum(applied.get(name, 0) for name in ("added", "changed", "left")),
    )


# The preview's outcomes that are written as rows (unchanged rows are only counted).
WRITTEN_OUTCOMES = ("new", "changed", "leaving", "held", "refused")


def _progress(roster_import: RosterImport):
    """How far the task is, for the progress bar: an UPDATE that does not wait for the disk
    (`inserts.without_waiting_for_disk`), like the chunks it counts."""

    def progress(done: int) -> None:
        with transaction.atomic():
            without_waiting_for_disk()
            RosterImport.objects.filter(pk=roster_import.pk).update(progress_done=done)

    return progress


# Autovacuum analyses a table once this many rows and this share of it have changed.
ANALYZE_THRESHOLD = 50
ANALYZE_SCALE_FACTOR = 0.1


def refresh_statistics(model, *, written: int) -> None:
    """Brings the database's statistics of `model`'s table up to date after an import wrote
    `written` of its rows, when they are as many as autovacuum waits for (50 and a tenth of the
    table as its statistics last counted it): now, rather than whenever autovacuum comes round.
    The planner otherwise keeps its estimate from before the import (an empty table), and plans
    the next import's matching as a scan of the whole roll per chunk: 211 s instead of seconds
    to check a re-import of 50,000 rows on PostgreSQL, measured. A nightly file that changes a
    few students leaves the statistics as they were (analysing 50,000 students takes a second)."""
    if written <= ANALYZE_THRESHOLD + ANALYZE_SCALE_FACTOR * counted_rows(model):
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def counted_rows(model) -> int:
    """The rows of `model`'s table as the database's statistics last counted them (0 if they
    never have)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [connection.ops.quote_name(table)],
            )
            found = cursor.fetchone()
            return max(int(found[0]), 0) if found else 0
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return 0
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        found = cursor.fetchone()
        return int(found[0].split()[0]) if found and found[0] else 0
