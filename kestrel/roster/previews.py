"""What the students' and the staff's previews share: the rows of the preview as they are
written, a chunk at a time, with their counts."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from kestrel.roster.inserts import insert_rows, json_text
from kestrel.roster.models import Decision, Outcome, RosterImport, RosterRow

OUTCOME_COUNTS = ("rows", "new", "changed", "unchanged", "leaving", "held", "refused")


@dataclass
class Incoming:
    """A row of the file, cleaned: the values of the columns the file has."""

    row: int
    values: dict[str, object]


class Refusal(Exception):
    """A row that cannot be imported; the message says why, for the administrator."""


# A preview's row as it is written (see `PreviewRows.add`): its table's columns, in this order.
ROW_COLUMNS = (
    "roster_import_id",
    "row",
    "outcome",
    "student_id",
    "staff_id",
    "values",
    "changes",
    "reason",
    "decision",
    "applied",
    "skipped",
)


@dataclass
class PreviewRows:
    """What checking a file found, as it is written to the import's rows. `matched` maps a
    record to the row that named it; `kept` holds records a row may be (never leaving);
    `mentioned` the identifiers the file writes that the engine keeps nowhere else (the
    students' engine keeps a row's UPN and MIS id in its own index), even in a refused row."""

    roster_import: RosterImport
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOME_COUNTS, 0))
    matched: dict[int, int] = field(default_factory=dict)
    kept: set[int] = field(default_factory=set)
    mentioned: set[str] = field(default_factory=set)
    pending: list[tuple] = field(default_factory=list)  # rows in ROW_COLUMNS' order

    def add(
        self,
        outcome: str,
        row: int,
        *,
        student=None,
        student_id: int | None = None,
        staff=None,
        staff_id: int | None = None,
        values: dict | None = None,
        changes: dict | None = None,
        reason: str = "",
    ) -> None:
        """Counts the row and keeps it to be written (`flush`): the record it matched (given
        as itself or its id), its cleaned values, its changes as field -> [old, new], and why
        it was refused or held."""
        self.counts[outcome] += 1
        self.pending.append(
            (
                self.roster_import.pk,
                row,
                outcome,
                student.pk if student is not None else student_id,
                staff.pk if staff is not None else staff_id,
                json_text(values or {}),
                json_text(changes or {}),
                reason,
                Decision.UNDECIDED.value,
                False,
                "",
            )
        )

    def refuse_unread(self, row: int, raw: dict[str, str], reason: str) -> None:
        """A row refused before it could be cleaned: its cells as the file gave them (each cut
        to 200 characters, for the preview and the CSV of refused rows), with why."""
        values = {name: text[:200] for name, text in raw.items()}
        self.add(Outcome.REFUSED, row, values=values, reason=reason)

    def flush(self) -> None:
        """Writes the rows kept since the last flush, in one plain write (inserts.py)."""
        insert_rows(RosterRow, ROW_COLUMNS, self.pending)
        self.pending = []


def chunks(rows, size: int) -> Iterator[list]:
    """`rows` in lists of `size` (the last may be shorter)."""
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
