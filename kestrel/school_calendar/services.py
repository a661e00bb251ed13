"""Importing a school's term dates from a CSV file, as local authorities publish them."""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.db import transaction

from kestrel.audit.services import record
from kestrel.school_calendar.days import forget
from kestrel.school_calendar.models import Closure, Term

COLUMNS = ("academic_year", "term", "event", "start_date", "end_date")
# What each event of the file becomes: the two ends of a term, or a closure of a kind.
CLOSURE_EVENTS = {
    "half_term": Closure.HALF_TERM,
    "inset": Closure.INSET,
    "inset_day": Closure.INSET,
    "closure": Closure.OTHER,
}
TERM_EVENTS = {"term_start", "term_end"}
MAX_BYTES = 1_000_000


class CalendarFileRefused(ValueError):
    """The file cannot be read as term dates: each problem with its row number."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class TermDates:
    terms: list[Term] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)


def _date(text: str) -> datetime.date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"“{text}” is not a date (write 2026-09-02 or 02/09/2026)")


def read_term_dates(data: bytes, school) -> TermDates:
    """The terms and closures a file holds; refused whole, with every problem, if any row is
    wrong (nothing is half imported)."""
    if len(data) > MAX_BYTES:
        raise CalendarFileRefused(["The file is larger than 1 MB: is it the term dates?"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows = csv.DictReader(io.StringIO(text))
    missing = [column for column in COLUMNS if column not in (rows.fieldnames or [])]
    if missing:
        raise CalendarFileRefused(
            ["The first row must name the columns " + ", ".join(COLUMNS) + "; missing: "
             + ", ".join(missing)]
        )  # fmt: skip
    problems, ends, found = [], {}, TermDates()
    for number, row in enumerate(rows, start=2):
        event = (row["event"] or "").strip().lower()
        year, term = (row["academic_year"] or "").strip(), (row["term"] or "").strip()
        try:
            first, last = _date(row["start_date"] or ""), _date(row["end_date"] or "")
        except ValueError as error:
            problems.append(f"Row {number}: {error}.")
            continue
        if last < first:
            problems.append(f"Row {number}: it ends before it starts.")
        elif event in TERM_EVENTS:
            ends.setdefault((year, term), {})[event] = (number, first, last)
        elif event in CLOSURE_EVENTS:
            kind = CLOSURE_EVENTS[event]
            name = f"{term} half term {year}" if kind == Closure.HALF_TERM else "INSET day"
            found.closures.append(
                Closure(school=school, kind=kind, name=name[:60], starts_on=first, ends_on=last)
            )
        elif event != "bank_holiday":  # bank holidays come from GOV.UK's list
            problems.append(
                f"Row {number}: “{row['event']}” is not an event Kestrel knows (term_start, "
                "term_end, half_term, inset, closure)."
            )
    for (year, term), both in ends.items():
        if set(both) != TERM_EVENTS:
            row = next(iter(both.values()))[0]
            problems.append(f"Row {row}: {term} {year} needs both its term_start and term_end.")
            continue
        starts, ends_on = both["term_start"][1], both["term_end"][2]
        if ends_on < starts:
            problems.append(f"Row {both['term_end'][0]}: {term} {year} ends before it starts.")
            continue
        found.terms.append(
            Term(school=school, name=f"{term} {year}"[:60], starts_on=starts, ends_on=ends_on)
        )
    if problems:
        raise CalendarFileRefused(problems)
    if not found.terms and not found.closures:
        raise CalendarFileRefused(["The file holds no term dates."])
    return found


def import_term_dates(*, actor, school, data: bytes, file_name: str, request=None) -> dict:
    """Adds the file's terms and closures to the school's calendar (those it already has, with
    the same dates, are left as they are); returns how many of each were added."""
    found = read_term_dates(data, school)
    with transaction.atomic():
        have_terms = set(Term.objects.filter(school=school).values_list("starts_on", "ends_on"))
        have_closures = set(
            Closure.objects.filter(school=school).values_list("kind", "starts_on", "ends_on")
        )
        terms = [t for t in found.terms if (t.starts_on, t.ends_on) not in have_terms]
        closures = [
            c for c in found.closures if (c.kind, c.starts_on, c.ends_on) not in have_closures
        ]
        Term.objects.bulk_create(terms)
        Closure.objects.bulk_create(closures)
        counts = {"terms": len(terms), "closures": len(closures)}
        record(
            action="calendar.imported",
            actor=actor,
            request=request,
            obj=school,
            school=school,
            detail={**counts, "file": file_name[:100]},
        )
        forget(school.pk)
    return counts
