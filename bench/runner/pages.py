"""The pages `make bench` drives, who drives each, what each must answer, and its target."""

import dataclasses
import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils import timezone

# The targets, set for PostgreSQL: reading pages within 3x the floor's p95 and at least a
# third of its requests per second, Add Incident and Add Action within 5x, and at most 12 queries.
QUERY_LIMIT = 12
# SQLite is to come within this factor of the figures set for PostgreSQL.
SQLITE_ALLOWANCE = 2
# The pages `--profile` takes, as build_pages names them.
PAGE_KEYS = (
    "floor",
    "dashboard",
    "dashboard_dsl",
    "incident",
    "chronology",
    "case_file",
    "caseload",
    "student_search",
    "staff_search",
    "add_incident",
    "add_action",
    "mark_read",
)
# Where each POST gets a submission of its own (left alone by URL encoding: letters and "_").
SUBMISSION = "__SUBMISSION__"


@dataclass(frozen=True)
class Target:
    p95_ratio: float | None = None  # p95 at most this many times the floor's
    rps_ratio: float | None = None  # requests per second at least this share of the floor's
    queries: int = QUERY_LIMIT

    def on(self, vendor: str) -> "Target":
        """The target on `vendor`: the issue asks SQLite to come within 2x of PostgreSQL's figures
        (twice the p95 ratio, half the requests per second); queries are the same on both."""
        if vendor != "sqlite":
            return self
        return dataclasses.replace(
            self,
            p95_ratio=None if self.p95_ratio is None else self.p95_ratio * SQLITE_ALLOWANCE,
            rps_ratio=None if self.rps_ratio is None else self.rps_ratio / SQLITE_ALLOWANCE,
        )

    def __str__(self) -> str:
        parts = []
        if self.p95_ratio is not None:
            parts.append(f"p95<={self.p95_ratio:g}x")
        if self.rps_ratio is not None:
            parts.append(f"rps>=1/{1 / self.rps_ratio:g}")
        parts.append(f"q<={self.queries}")
        return " ".join(parts)


READING = Target(p95_ratio=3, rps_ratio=1 / 3)
CHRONOLOGY = Target(p95_ratio=4, rps_ratio=1 / 4)  # issue 19: 500 entries, <= 4x and >= 1/4
RECORDING = Target(p95_ratio=5, rps_ratio=1 / 5)
QUERIES_ONLY = Target()


@dataclass(frozen=True)
class Page:
    """One row of the table: a page, who drives it, and the requests wrk sends."""

    key: str
    title: str
    role: str  # as the table shows it
    sessions: str  # whose sessions: a key of people.ACCOUNTS, or "floor"
    method: str
    paths: tuple[str, ...]
    cookies: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    distinct: bool = False  # every request needs a path of its own (mark as read)
    expect_status: int = 200
    expect_location: str | None = None  # a Lua pattern the redirect target must match
    # Rows each answered request must add, by counter (see plan.made_rows): a POST that answers
    # as it should but records nothing (or the same record again) is refused too.
    effects: tuple[tuple[str, int], ...] = ()
    target: Target | None = None

    @property
    def expected(self) -> str:
        if self.expect_location:
            return f"{self.expect_status} to {self.expect_location}"
        return str(self.expect_status)


def form_date(moment: datetime.datetime) -> dict:
    """Date and Time as the Add Incident and Add Action forms take them."""
    local = timezone.localtime(moment)
    return {
        "occurred_on_0": str(local.day),
        "occurred_on_1": str(local.month),
        "occurred_on_2": str(local.year),
        "occurred_time": local.strftime("%H:%M"),
    }


def build_pages(plan, *, cookies: dict[str, tuple[str, ...]], csrf: str) -> list["Page"]:
    """The floor and every page, from the bench's data (`plan`) and the cookies of each account's
    sessions (and of the floor's own)."""
    yesterday = form_date(timezone.now() - datetime.timedelta(days=1))
    incident_bodies = tuple(
        urlencode(
            [
                ("student", student),
                ("text", "Bench: said something at lunch that worried the teacher on duty."),
                *(("categories", category) for category in plan.categories),
                *yesterday.items(),
                *(("alert_staff", colleague) for colleague in plan.alert_staff),
                ("submission", SUBMISSION),
                ("csrfmiddlewaretoken", csrf),
            ]
        )
        for student in plan.students_to_record
    )
    action_body = urlencode(
        [
            ("text", "Bench: spoke to the parent at pick-up."),
            *yesterday.items(),
            ("submission", SUBMISSION),
            ("csrfmiddlewaretoken", csrf),
        ]
    )
    chronology = f"Chronology ({plan.chronology_entries} entries)"
    floor = ("GET", ("/bench/floor/",))
    pages = [
        # The floor runs first and last, on sessions of its own (the pages' POSTs leave messages
        # in theirs): how far it moves in between shows how busy the machine was.
        Page("floor", "Floor (bare view)", "DSL", "floor", *floor),
        Page(
            "dashboard", "Dashboard", "teacher", "teacher", "GET", ("/dashboard/",), target=READING
        ),
        Page("dashboard_dsl", "Dashboard", "DSL", "dsl", "GET", ("/dashboard/",), target=READING),
        Page(
            "incident",
            "Viewing Incident",
            "DSL",
            "dsl",
            "GET",
            tuple(f"/incidents/{pk}/" for pk in plan.incidents_to_view),
            target=READING,
        ),
        Page(
            "chronology",
            chronology,
            "DSL",
            "dsl",
            "GET",
            (f"/students/{plan.chronology_student}/",),
            target=CHRONOLOGY,
        ),
        # Issue 21: the child's page (the case file, then the newest of the same chronology)
        # and the DSL team's open cases.
        Page(
            "case_file",
            "Case file (the same student)",
            "DSL",
            "dsl",
            "GET",
            (f"/students/{plan.chronology_student}/file/",),
            target=READING,
        ),
        Page("caseload", "Caseload", "DSL", "dsl", "GET", ("/caseload/",), target=READING),
        Page(
            "student_search",
            "Type-ahead: students",
            "teacher",
            "teacher",
            "GET",
            tuple(f"/students/search/?{urlencode({'q': q})}" for q in plan.student_prefixes),
            target=READING,
        ),
        Page(
            "staff_search",
            "Type-ahead: staff",
            "teacher",
            "teacher",
            "GET",
            tuple(f"/staff/search/?{urlencode({'q': q})}" for q in plan.staff_prefixes),
            target=READING,
        ),
        Page(
            "add_incident",
            "Add Incident (4 alerts)",
            "teacher",
            "recorder",
            "POST",
            ("/incidents/add/",),
            bodies=incident_bodies,
            expect_status=302,
            expect_location="^/incidents/%d+/$",
            effects=(("incidents", 1), ("alerts_sent", 4)),
            target=RECORDING,
        ),
        Page(
            "add_action",
            "Add Action",
            "deputy DSL",
            "deputy",
            "POST",
            tuple(f"/incidents/{pk}/actions/add/" for pk in plan.incidents_for_actions),
            bodies=(action_body,),
            expect_status=302,
            expect_location="^/incidents/%d+/$",
            effects=(("actions", 1),),
            target=RECORDING,
        ),
        Page(
            "mark_read",
            "Mark as read",
            "reader",
            "reader",
            "POST",
            tuple(f"/alerts/{pk}/read/" for pk in plan.alerts_to_read),
            bodies=(urlencode({"csrfmiddlewaretoken": csrf}),),
            distinct=True,
            expect_status=302,
            expect_location="^/dashboard/$",
            effects=(("alerts_read", 1),),
            target=QUERIES_ONLY,
        ),
        Page("floor_end", "Floor (again, last)", "DSL", "floor", *floor),
    ]
    return [dataclasses.replace(page, cookies=cookies[page.sessions]) for page in pages]
