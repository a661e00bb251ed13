"""Suppressing small numbers in the anonymised reports, so that no child can be identified.

The method is the Government Statistical Service's cell suppression, as the Department for
Education publishes its statistics with it (GSS, "Disclosure control" guidance; DfE, "Statistics
at DfE: disclosure control", which suppresses counts below a threshold and then "secondary"
cells so that a suppressed count cannot be worked out by subtraction from a published total):

1. Primary suppression: every count from 1 to 4 is shown as "fewer than 5". A 0 is shown as 0:
   that nothing happened identifies nobody, and hiding zeros would hide the good news too.
2. Secondary suppression: a table's counts are read in lines (each row with its row total,
   each column with its column total, the row of column totals with the grand total, the
   column of row totals with it too). A line with exactly one suppressed number would let that
   number be worked out from the others, so the smallest other count in the line (a non-zero
   cell first, then a zero, then the line's total) is suppressed as well; repeated until no
   line has exactly one. A secondarily suppressed count may be 5 or more: it is shown as
   "not shown" (never as "fewer than 5", which would be untrue).
3. Since a reader knows a "fewer than 5" is 1 to 4 and a "not shown" is 0 or at least 5, two
   hidden numbers can still give themselves away ([1, 1, 5] with total 7: both hidden ones are
   1). So each line whose total is shown is also solved: if any "fewer than 5" in it could have
   only one value, the next smallest count of the line is hidden too, until each could be two.

The guarantee is per line (a row or a column against its total, as the DfE checks tables): no
hidden small count can be worked out from the other numbers of its row or column. Lines are
checked as if their cells added up to their total even where they need not (an
incident may have two categories): that suppresses a little more than needed, never less.
"""

from dataclasses import dataclass, field

THRESHOLD = 5
FEWER_THAN = "fewer than 5"
NOT_SHOWN = "not shown"


@dataclass(frozen=True)
class Count:
    """One published number: its value and whether it is hidden (and why)."""

    value: int
    hidden: str = ""  # "" shown, "primary" below the threshold, "secondary" protecting one

    @property
    def shown(self) -> bool:
        return not self.hidden

    @property
    def text(self) -> str:
        if self.hidden == "primary":
            return FEWER_THAN
        if self.hidden == "secondary":
            return NOT_SHOWN
        return str(self.value)

    def __str__(self) -> str:
        return self.text


def is_small(value: int) -> bool:
    """Whether a count is suppressed on its own: 1 to 4 (0 and 5 upwards are shown)."""
    return 0 < value < THRESHOLD


@dataclass
class Table:
    """A table of counts as published: `cells[row][column]`, optional row totals (one per row),
    column totals (one per column) and a grand total, each a `Count`."""

    cells: list[list[Count]]
    row_totals: list[Count] | None = None
    column_totals: list[Count] | None = None
    grand_total: Count | None = None
    lines: list[list[tuple]] = field(default_factory=list, repr=False)


def suppress(
    cells: list[list[int]],
    *,
    row_totals: list[int] | None = None,
    column_totals: list[int] | None = None,
    grand_total: int | None = None,
) -> Table:
    """The table with its small counts and the counts that would reveal them hidden."""
    rows = len(cells)
    columns = len(cells[0]) if rows else len(column_totals or [])
    values: dict[tuple, int] = {}
    for r, row in enumerate(cells):
        if len(row) != columns:
            raise ValueError("Every row needs the same number of cells.")
        for c, value in enumerate(row):
            values[("cell", r, c)] = value
    if row_totals is not None:
        values.update({("row", r, 0): value for r, value in enumerate(row_totals)})
    if column_totals is not None:
        values.update({("column", 0, c): value for c, value in enumerate(column_totals)})
    if grand_total is not None:
        values[("grand", 0, 0)] = grand_total
    if any(value < 0 for value in values.values()):
        raise ValueError("Counts cannot be negative.")

    # Each line: its cells (which may be hidden to protect another) and its total (hidden last).
    lines: list[tuple[list[tuple], tuple | None]] = []
    # A row or column without a published total gives nothing away by subtraction.
    if row_totals is not None:
        for r in range(rows):
            lines.append(([("cell", r, c) for c in range(columns)], ("row", r, 0)))
    if column_totals is not None:
        for c in range(columns):
            lines.append(([("cell", r, c) for r in range(rows)], ("column", 0, c)))
    if column_totals is not None:
        lines.append(([("column", 0, c) for c in range(columns)], _key(values, ("grand", 0, 0))))
    if row_totals is not None:
        lines.append(([("row", r, 0) for r in range(rows)], _key(values, ("grand", 0, 0))))

    primary = {key for key, value in values.items() if is_small(value)}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            line = members + ([total] if total else [])
            if sum(key in hidden for key in line) != 1:
                continue
            candidate = _next_to_hide(values, members, total, hidden)
            if candidate is not None:
                hidden.add(candidate)
                changed = True
        for members, total in lines:
            if (
                total is None
                or total in hidden
                or not _gives_one_away(values, members, total, hidden, primary)
            ):
                continue
            candidate = _next_to_hide(values, members, None, hidden) or total
            hidden.add(candidate)
            changed = True

    def count(key) -> Count:
        why = "primary" if key in primary else "secondary" if key in hidden else ""
        return Count(values[key], why)

    return Table(
        cells=[[count(("cell", r, c)) for c in range(columns)] for r in range(rows)],
        row_totals=None if row_totals is None else [count(("row", r, 0)) for r in range(rows)],
        column_totals=None
        if column_totals is None
        else [count(("column", 0, c)) for c in range(columns)],
        grand_total=None if grand_total is None else count(("grand", 0, 0)),
        lines=[members + ([total] if total else []) for members, total in lines],
    )


def _key(values: dict, key: tuple) -> tuple | None:
    return key if key in values else None


def _next_to_hide(values: dict, members: list, total, hidden: set):
    """The count to hide beside a line's one hidden count: its smallest other non-zero cell,
    else a zero cell, else its total. None when there is nothing else in the line: a line
    of one cell and no total reveals nothing by subtraction."""
    shown = [key for key in members if key not in hidden]
    nonzero = [key for key in shown if values[key] > 0]
    if nonzero:
        return min(nonzero, key=lambda key: (values[key], key))
    if shown:
        return shown[0]
    if total is not None and total not in hidden:
        return total
    return None


def _gives_one_away(values: dict, members: list, total, hidden: set, primary: set) -> bool:
    """Whether a "fewer than 5" of this line could be only one value, given the line's shown
    total and cells: each hidden small count is 1 to 4, each other hidden count 0 or 5 upwards
    (so any number of those adds up to 0 or to anything from 5)."""
    concealed = [key for key in members if key in hidden]
    left = values[total] - sum(values[key] for key in members if key not in hidden)
    if left < 0:  # cells that overlap (two categories on one incident): no sum to solve
        return False
    small = sum(key in primary for key in concealed)
    if not small:
        return False
    others_large = len(concealed) > small
    # Every hidden small count of the line is alike to a reader: the same values are possible.
    possible = {
        value
        for value in range(1, THRESHOLD)
        for part in _sums(small - 1)
        if left - value - part == 0 or (others_large and left - value - part >= THRESHOLD)
    }
    # No reading at all: the cells do not add up to the total (a table of overlapping counts,
    # subcategories against all incidents), so nothing can be worked out by subtraction.
    return len(possible) == 1


def _sums(how_many: int) -> range:
    """What `how_many` counts of 1 to 4 can add up to."""
    return range(how_many, (THRESHOLD - 1) * how_many + 1)


def suppress_list(values: list[int], *, total: int | None = None) -> tuple[list[Count], Count]:
    """A single column of counts with its total (a table of one column)."""
    table = suppress(
        [[value] for value in values],
        column_totals=None if total is None else [total],
    )
    column_total = table.column_totals[0] if table.column_totals else Count(0)
    return [row[0] for row in table.cells], column_total
