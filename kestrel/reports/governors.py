"""The governors' report: anonymised counts for the school year, by term and year to date, with
every small number suppressed (`kestrel.reports.suppression`). No child is named or listed.

Every count is one GROUP BY query whatever the number of incidents (about fifteen queries in
all, asserted in the tests), so that the counting queries (`counted_*`) are the one place to
read pre-aggregated counts from instead, should a school's history make them slow: a tally per
school, day, category, year group and required rank, kept by triggers as `ChronologyTally` is.

Only records the viewer's unlocked key opens are counted (their access level), as everywhere.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from kestrel.casefile.models import (
    REFERRAL_TARGETS,
    SCHOOL_DEFINED,
    STATUS_KINDS,
    Decision,
    Referral,
    Status,
)
from kestrel.casefile.models import Case as CaseFileCase
from kestrel.incidents.models import Category, Incident
from kestrel.reports import charts
from kestrel.reports.suppression import Table, suppress
from kestrel.reports.terms import SchoolYear, school_year
from kestrel.students.models import YEAR_GROUPS, Student
from kestrel.training.selectors import compliance
from kestrel.transfers.models import Received, ReceivedState, Transfer

# KCSIE: the child protection file reaches the new school within 5 school days; the report
# counts receipts confirmed within 5 days of sending (calendar days: a simpler, stricter test).
RECEIPT_DAYS = 5
OUTSIDE_TERMS = -1  # a day of the year to date in no recorded term (a holiday)

VULNERABLE_GROUPS = [
    ("sen_support", "SEN support", Q(student__sen_status="K")),
    ("ehc_plan", "Education, health and care plan", Q(student__sen_status="E")),
    ("pupil_premium", "Pupil premium", Q(student__pupil_premium=True)),
    ("eal", "English as an additional language", Q(student__eal=True)),
    ("looked_after", "Looked after", Q(student__looked_after=True)),
]
MONITORED = "monitored"


@dataclass
class CountTable:
    """One table of the report: its rows' and columns' names and the suppressed counts."""

    key: str
    title: str
    rows: list[str]
    columns: list[str]
    table: Table
    total_label: str = "All"
    row_total_label: str = ""
    note: str = ""

    @property
    def lines(self) -> list[tuple[str, list, object]]:
        """Each row's name, cells and total (None without row totals), for templates and CSV."""
        totals = self.table.row_totals or [None] * len(self.rows)
        return list(zip(self.rows, self.table.cells, totals, strict=True))


@dataclass
class GovernorsReport:
    school_name: str
    year: SchoolYear
    made_at: datetime.datetime
    tables: list[CountTable] = field(default_factory=list)

    def table(self, key: str) -> CountTable:
        return next(table for table in self.tables if table.key == key)


def _term_of(field_name: str, year: SchoolYear, *, dates: bool = False) -> Case:
    """Which term (its index) a row's moment or date falls in; OUTSIDE_TERMS for none."""
    whens = []
    for index, term in enumerate(year.terms):
        start, end = (term.starts_on, term.ends_on + datetime.timedelta(days=1))
        if not dates:
            start, end = term.bounds()
        whens.append(
            When(**{f"{field_name}__gte": start, f"{field_name}__lt": end}, then=Value(index))
        )
    return Case(*whens, default=Value(OUTSIDE_TERMS), output_field=IntegerField())


def _in_year(field_name: str, year: SchoolYear, *, dates: bool = False) -> Q:
    start, end = year.year_to_date.bounds()
    if dates:
        start, end = year.year_to_date.starts_on, year.year_to_date.ends_on
        return Q(**{f"{field_name}__gte": start, f"{field_name}__lte": end})
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _by_term(counts: dict[int, int], year: SchoolYear) -> list[int]:
    """A row of counts: one per term, the days between the school's terms (a column of its
    own, or the year to date less the terms would give it away), then the year to date."""
    row = [counts.get(index, 0) for index in range(len(year.terms))]
    if not year.standard_terms:
        row.append(counts.get(OUTSIDE_TERMS, 0))
    return [*row, sum(counts.values())]


def key_rank(viewer) -> int:
    """The access rank the viewer's unlocked key opens records up to; -1 when it opens none.
    Every report counts and lists only what it opens."""
    return viewer.key_rank if viewer.key_unlocked and viewer.key_rank is not None else -1


# --- Counting (one GROUP BY query each) -----------------------------------------------------


def counted_incidents(school, rank: int, year: SchoolYear) -> dict:
    """Incidents of the year by term: all, and in each vulnerable group."""
    incidents = Incident.objects.filter(_in_year("occurred_at", year), required_rank__lte=rank)
    rows = (
        incidents.annotate(term=_term_of("occurred_at", year))
        .values("term")
        .annotate(
            all=Count("id"),
            **{key: Count("id", filter=where) for key, _, where in VULNERABLE_GROUPS},
        )
    )
    return {row["term"]: row for row in rows}


def counted_by_category(school, rank: int, year: SchoolYear) -> dict[int, dict[int, int]]:
    """Incidents of the year by category and term (an incident once under each of its own)."""
    through = Incident.categories.through
    rows = (
        through.objects.filter(
            _in_year("incident__occurred_at", year),
            incident__school_id=school.pk,
            incident__required_rank__lte=rank,
        )
        .annotate(term=_term_of("incident__occurred_at", year))
        .values("category_id", "term")
        .annotate(n=Count("incident_id"))
    )
    found: dict[int, dict[int, int]] = {}
    for row in rows:
        found.setdefault(row["category_id"], {})[row["term"]] = row["n"]
    return found


def counted_by_year_group(school, rank: int, year: SchoolYear) -> dict[int, dict[int, int]]:
    rows = (
        Incident.objects.filter(_in_year("occurred_at", year), required_rank__lte=rank)
        .annotate(term=_term_of("occurred_at", year))
        .values("student__year_group", "term")
        .annotate(n=Count("id"))
    )
    found: dict[int, dict[int, int]] = {}
    for row in rows:
        found.setdefault(row["student__year_group"], {})[row["term"]] = row["n"]
    return found


def counted_referrals(school, rank: int, year: SchoolYear) -> dict[str, dict[int, dict]]:
    rows = (
        Referral.objects.filter(_in_year("made_on", year, dates=True), required_rank__lte=rank)
        .annotate(term=_term_of("made_on", year, dates=True))
        .values("target", "term")
        .annotate(n=Count("id"), answered=Count("id", filter=Q(outcome_on__isnull=False)))
    )
    found: dict[str, dict[int, dict]] = {}
    for row in rows:
        found.setdefault(row["target"], {})[row["term"]] = row
    return found


def counted_statuses(school, rank: int, year: SchoolYear) -> dict[str, dict[str, int]]:
    """Children with each status open now, and with one started this school year."""
    rows = (
        Status.objects.filter(required_rank__lte=rank)
        .exclude(kind=SCHOOL_DEFINED)
        .values("kind")
        .annotate(
            open=Count("student", distinct=True, filter=Q(ended_on__isnull=True)),
            started=Count(
                "student", distinct=True, filter=_in_year("started_on", year, dates=True)
            ),
        )
    )
    found = {row["kind"]: row for row in rows}
    # "Monitored in school": an open case whose latest decision was to monitor.
    latest = Decision.objects.filter(student=OuterRef("student"), required_rank__lte=rank).order_by(
        "-decided_on", "-id"
    )
    monitored = (
        CaseFileCase.objects.filter(closed_on__isnull=True)
        .annotate(latest=Subquery(latest.values("kind")[:1]))
        .aggregate(
            open=Count("student", distinct=True, filter=Q(latest="monitor")),
            started=Count(
                "student",
                distinct=True,
                filter=Q(latest="monitor") & _in_year("opened_on", year, dates=True),
            ),
        )
    )
    found[MONITORED] = monitored
    return found


def counted_transfers(school, year: SchoolYear) -> tuple[dict, dict]:
    """Files sent (by term sent) and received (by term received), by how soon receipt came."""
    soon = datetime.timedelta(days=RECEIPT_DAYS)
    sent = (
        Transfer.objects.filter(_in_year("sent_at", year), sent_at__isnull=False)
        .annotate(term=_term_of("sent_at", year))
        .values("term")
        .annotate(
            all=Count("id"),
            soon=Count("id", filter=Q(acknowledged_at__lte=F("sent_at") + soon)),
            later=Count("id", filter=Q(acknowledged_at__gt=F("sent_at") + soon)),
            waiting=Count("id", filter=Q(acknowledged_at__isnull=True)),
        )
    )
    received = (
        Received.objects.filter(_in_year("received_at", year))
        .annotate(term=_term_of("received_at", year))
        .values("term")
        .annotate(
            all=Count("id"),
            soon=Count("id", filter=Q(accepted_at__lte=F("received_at") + soon)),
            later=Count("id", filter=Q(accepted_at__gt=F("received_at") + soon)),
            refused=Count("id", filter=Q(state=ReceivedState.REFUSED)),
            waiting=Count(
                "id", filter=Q(accepted_at__isnull=True) & ~Q(state=ReceivedState.REFUSED)
            ),
        )
    )
    return {row["term"]: row for row in sent}, {row["term"]: row for row in received}


# --- The report -----------------------------------------------------------------------------


BETWEEN_TERMS = "Between terms"


def _term_columns(year: SchoolYear) -> list[str]:
    names = [term.name for term in year.terms]
    return names if year.standard_terms else [*names, BETWEEN_TERMS]


def _counts_table(key, title, year, rows: list[tuple[str, dict]], totals: dict, **extra):
    """Rows of counts by term with the year to date as each row's total, and the "All" row
    (the column totals) below them."""
    all_row = _by_term(totals, year)
    table = suppress(
        [_by_term(counts, year)[:-1] for _, counts in rows],
        row_totals=[_by_term(counts, year)[-1] for _, counts in rows],
        column_totals=all_row[:-1],
        grand_total=all_row[-1],
    )
    return CountTable(
        key=key,
        title=title,
        rows=[name for name, _ in rows],
        columns=_term_columns(year),
        table=table,
        row_total_label="Year to date",
        **extra,
    )


def governors_report(viewer, school, *, today: datetime.date | None = None) -> GovernorsReport:
    """The governors' report for the school year holding `today`, as the viewer may count it."""
    today = today or timezone.localdate()
    rank = key_rank(viewer)
    year = school_year(school, today)
    report = GovernorsReport(school_name=school.name, year=year, made_at=timezone.now())

    incidents = counted_incidents(school, rank, year)
    all_incidents = {term: row["all"] for term, row in incidents.items()}
    by_category = counted_by_category(school, rank, year)
    categories = list(Category.objects.order_by("position", "name"))
    mains = [c for c in categories if c.parent_id is None and (c.is_active or c.pk in by_category)]
    subs = [
        c for c in categories if c.parent_id is not None and (c.is_active or c.pk in by_category)
    ]
    names = {c.pk: c.name for c in categories}
    order = {c.pk: index for index, c in enumerate(mains)}
    subs.sort(key=lambda c: (order.get(c.parent_id, len(order)), c.position, c.name))
    report.tables.append(
        _counts_table(
            "categories",
            "Incidents by category",
            year,
            [(c.name, by_category.get(c.pk, {})) for c in mains],
            all_incidents,
            total_label="All incidents",
            note="An incident filed under two categories counts once under each.",
        )
    )
    report.tables.append(
        _counts_table(
            "subcategories",
            "Incidents by subcategory",
            year,
            [(f"{names[c.parent_id]}: {c.name}", by_category.get(c.pk, {})) for c in subs],
            all_incidents,
            total_label="All incidents",
        )
    )
    report.tables.append(_last_year_table(school, rank, year))
    by_year = counted_by_year_group(school, rank, year)
    on_roll = set(
        Student.objects.filter(on_roll=True).values_list("year_group", flat=True).distinct()
    )
    report.tables.append(
        _counts_table(
            "year_groups",
            "Incidents by year group",
            year,
            [
                (label, by_year.get(value, {}))
                for value, label in YEAR_GROUPS
                if value in on_roll or value in by_year
            ],
            all_incidents,
            total_label="All incidents",
            note="By the year group each child is in now.",
        )
    )
    report.tables.append(
        _counts_table(
            "vulnerable",
            "Incidents by vulnerable group",
            year,
            [
                (label, {term: row[key] for term, row in incidents.items()})
                for key, label, _ in VULNERABLE_GROUPS
            ],
            all_incidents,
            total_label="All incidents",
            note=(
                "From the roster where the school's MIS records it. A child may be in more "
                "than one group."
            ),
        )
    )
    report.tables.append(_statuses_table(counted_statuses(school, rank, year)))
    report.tables += _referral_tables(counted_referrals(school, rank, year), year)
    report.tables += _transfer_tables(*counted_transfers(school, year), year)
    report.tables.append(_training_table(school, today))
    return report


def _last_year_table(school, rank: int, year: SchoolYear) -> CountTable:
    """Last school year's incidents term by term, for the trend (two queries)."""
    last = school_year(school, year.year_to_date.starts_on - datetime.timedelta(days=1))
    counts = counted_incidents(school, rank, last)
    cells = [counts.get(index, {}).get("all", 0) for index in range(len(last.terms))]
    return CountTable(
        key="last_year",
        title=f"Incidents each term last school year ({last.name})",
        rows=["All incidents"],
        columns=[term.name for term in last.terms],
        table=suppress([cells]),
        note="For comparison with this year's terms.",
    )


STATUS_ROWS = [(kind, label) for kind, label in STATUS_KINDS if kind != SCHOOL_DEFINED] + [
    (MONITORED, "Monitored in school")
]


def _statuses_table(found: dict) -> CountTable:
    rows = [(label, found.get(kind) or {}) for kind, label in STATUS_ROWS]
    table = suppress([[row.get("open") or 0, row.get("started") or 0] for _, row in rows])
    return CountTable(
        key="statuses",
        title="Children with an open status",
        rows=[label for label, _ in rows],
        columns=["Open now", "Started this school year"],
        table=table,
        note=(
            "Children, not incidents. Monitored in school: an open case whose latest "
            "decision was to monitor."
        ),
    )


def _referral_tables(found: dict, year: SchoolYear) -> list[CountTable]:
    rows = [
        (label, {t: r["n"] for t, r in found.get(target, {}).items()})
        for target, label in REFERRAL_TARGETS
    ]
    totals: dict[int, int] = {}
    for counts in found.values():
        for term, row in counts.items():
            totals[term] = totals.get(term, 0) + row["n"]
    made = _counts_table(
        "referrals", "Referrals made", year, rows, totals, total_label="All referrals"
    )
    answered = [sum(r["answered"] for r in found.get(t, {}).values()) for t, _ in REFERRAL_TARGETS]
    all_made = [sum(r["n"] for r in found.get(t, {}).values()) for t, _ in REFERRAL_TARGETS]
    outcomes = suppress(
        [[a, m - a] for a, m in zip(answered, all_made, strict=True)],
        row_totals=all_made,
        column_totals=[sum(answered), sum(all_made) - sum(answered)],
        grand_total=sum(all_made),
    )
    return [
        made,
        CountTable(
            key="referral_outcomes",
            title="Referrals this school year: feedback",
            rows=[label for _, label in REFERRAL_TARGETS],
            columns=["Feedback and outcome recorded", "Awaiting feedback"],
            table=outcomes,
            total_label="All referrals",
            row_total_label="Made this school year",
        ),
    ]


def _transfer_tables(sent: dict, received: dict, year: SchoolYear) -> list[CountTable]:
    def rows(found, parts):
        return [(label, {term: row[key] for term, row in found.items()}) for key, label in parts]

    return [
        _counts_table(
            "transfers_out",
            "Child protection files sent to the next school",
            year,
            rows(
                sent,
                [
                    ("soon", f"Receipt confirmed within {RECEIPT_DAYS} days"),
                    ("later", "Receipt confirmed later"),
                    ("waiting", "Awaiting receipt"),
                ],
            ),
            {term: row["all"] for term, row in sent.items()},
            total_label="All files sent",
            note=(
                "By the term each file was sent. KCSIE asks for the file to reach the new "
                "school within 5 school days."
            ),
        ),
        _counts_table(
            "transfers_in",
            "Child protection files received from other schools on Kestrel",
            year,
            rows(
                received,
                [
                    ("soon", f"Receipt confirmed within {RECEIPT_DAYS} days"),
                    ("later", "Receipt confirmed later"),
                    ("waiting", "Waiting to be accepted"),
                    ("refused", "Refused"),
                ],
            ),
            {term: row["all"] for term, row in received.items()},
            total_label="All files received",
            note=(
                "By the term each file arrived. Files sent on paper or by a download link "
                "are not counted here."
            ),
        ),
    ]


def _training_table(school, today: datetime.date) -> CountTable:
    summaries = compliance(school, today=today).by_requirement()
    cells = [
        [s.tally.up_to_date + s.tally.done, s.tally.due_soon, s.tally.overdue] for s in summaries
    ]
    needed = [s.tally.needed for s in summaries]
    columns = [sum(row[c] for row in cells) for c in range(3)]
    return CountTable(
        key="training",
        title="Staff safeguarding training",
        rows=[s.requirement.name for s in summaries],
        columns=["Up to date", "Due soon", "Overdue"],
        table=suppress(cells, row_totals=needed, column_totals=columns, grand_total=sum(needed)),
        total_label="All staff",
        row_total_label="Staff who need it",
        note=(
            "Members of staff, from the training log (Staff training). Small numbers are "
            "hidden here too."
        ),
    )


def charts_of(report: GovernorsReport) -> list:
    """The report's two charts: all incidents term by term since the start of last school year,
    and the categories compared over the year to date. Each is drawn beside a table of its own
    numbers."""
    categories = report.table("categories")
    last = report.table("last_year")
    return [
        charts.trend(
            "trend",
            "Incidents each term, last school year and this",
            last.columns + categories.columns,
            last.table.cells[0] + categories.table.column_totals,
        ),
        charts.compared(
            "compared",
            "Incidents by category, year to date",
            categories.rows,
            categories.table.row_totals,
        ),
    ]
