"""The training log as CSV files: the compliance list, and an import's refused rows. Every cell
goes through the roster's `safe_cell`: a spreadsheet opening the file never runs a cell as a
formula (a course named "=HYPERLINK(...)" stays text)."""

import csv
import io

from kestrel.roster.values import safe_cell
from kestrel.training.models import TrainingImport
from kestrel.training.selectors import Compliance


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(str(cell)) for cell in row])
    return "\ufeff" + out.getvalue()  # with a byte order mark, so Excel reads it as UTF-8


def _day(day) -> str:
    return day.isoformat() if day else ""


def compliance_csv(compliance: Compliance) -> str:
    """Every active member of staff against every requirement that applies to them."""
    return _csv(
        [
            "Staff member",
            "Email address",
            "Job title",
            "Training",
            "Last completed",
            "Due",
            "Status",
        ],
        (
            [
                s.staff.full_name,
                s.staff.email,
                s.staff.job_title,
                s.requirement.name,
                _day(s.last_done),
                _day(s.due_on),
                s.label,
            ]
            for s in compliance.standings
        ),
    )


def refused_rows_csv(training_import: TrainingImport) -> str:
    """The refused rows as the file gave them, each with its row number and why."""
    return _csv(
        ["Row", "Why it was refused", *training_import.headers],
        (
            [row["row"], row["reason"], *row["cells"]]
            for row in training_import.rows
            if row["outcome"] == "refused"
        ),
    )
