"""The refused rows of an import as a CSV, for the school's office to correct in the MIS."""

import csv
import io

from kestrel.roster.models import RosterImport
from kestrel.roster.values import safe_cell

# What Hide Names stars, in the download and on the preview alike.
NAME_FIELDS = {
    "legal_first_name",
    "legal_last_name",
    "preferred_first_name",
    "preferred_last_name",
    "first_name",
    "last_name",
    "name",
    "date_of_birth",
}


def refused_rows_csv(roster_import: RosterImport, rows, *, hidden: bool, mask: str) -> str:
    """Row number, why it was refused, and what the file gave, one row each. Every cell goes
    through `safe_cell`: a spreadsheet opening it never runs a cell as a formula (a name such as
    "=HYPERLINK(...)" in the MIS stays text)."""
    fields = [name for name in (roster_import.mapping or {}).values() if name] or sorted(
        {name for row in rows for name in row.values}
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Row", "Why it was refused", *fields])
    for row in rows:
        values = [
            mask
            if hidden and name in NAME_FIELDS and row.values.get(name)
            else row.values.get(name, "")
            for name in fields
        ]
        writer.writerow([row.row, *(safe_cell(str(cell)) for cell in [row.reason, *values])])
    return "\ufeff" + out.getvalue()  # with a byte order mark, so Excel reads it as UTF-8
