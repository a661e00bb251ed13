"""What the students' and the staff's previews share: the rows of the preview as they are
written, a chunk at a time, with their counts."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from kestrel.roster.models import Outcome, RosterImport, RosterRow

OUTCOME_COUNTS = ("rows", "new", "changed", "unchanged", "leaving", "held", "refused")


@dataclass
class Incoming:
    """A row of the file, cleaned: the values of the columns the file has."""

    row: int
    values: dict[str, object]


class Refusal(Exception):
    """A row that cannot be imported; the message says why, for the administrator."""


@dataclass
class PreviewRows:
    """What checking a file found, as it is written to the import's rows. `matched` maps a
    record to the row that named it; `kept` holds records a row may be (never leaving);
    `mentioned` every identifier the file writes, even in a refused row."""

    roster_import: RosterImport
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOME_COUNTS, 0))
    matched: dict[int, int] = field(default_factory=dict)
    kept: set[int] = field(default_factory=set)
    mentioned: set[str] = field(default_factory=set)
    pending: list[RosterRow] = field(default_factory=list)

    def add(self, outcome: str, row: int, **fields) -> None:
        self.counts[outcome] += 1
        self.pending.append(
            RosterRow(roster_import=self.roster_import, row=row, outcome=outcome, **fields)
        )

    def refuse_unread(self, row: int, raw: dict[str, str], reason: str) -> None:
        """A row refused before it could be cleaned: its cells as the file gave them (each cut
        to 200 characters, for the preview and the CSV of refused rows), with why."""
        values = {name: text[:200] for name, text in raw.items()}
        self.add(Outcome.REFUSED, row, values=values, reason=reason)

    def flush(self) -> None:
        RosterRow.objects.bulk_create(self.pending)
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
