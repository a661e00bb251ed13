"""The governors' report as CSV: one line a published number (table, row, column, count as
shown), so that a spreadsheet can pivot it. Every cell goes through the roster's `safe_cell`:
a category named "=HYPERLINK(...)" stays text. Hidden counts are written as their words."""

import csv
import io

from kestrel.reports.governors import GovernorsReport
from kestrel.roster.values import safe_cell

HEADER = ["Table", "Row", "Column", "Count"]


def governors_csv(report: GovernorsReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for table in report.tables:
        for name, cells, total in table.lines:
            for column, count in zip(table.columns, cells, strict=True):
                writer.writerow([safe_cell(table.title), safe_cell(name), safe_cell(column), count])
            if total is not None:
                writer.writerow(
                    [safe_cell(table.title), safe_cell(name), table.row_total_label, total]
                )
        for column, count in zip(table.columns, table.table.column_totals or (), strict=False):
            writer.writerow([safe_cell(table.title), table.total_label, safe_cell(column), count])
        if table.table.grand_total is not None:
            writer.writerow(
                [
                    safe_cell(table.title),
                    table.total_label,
                    table.row_total_label,
                    table.table.grand_total,
                ]
            )
    return "\ufeff" + out.getvalue()  # with a byte order mark, so Excel reads it as UTF-8
