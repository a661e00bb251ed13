"""`seed_scale`, and the seeder's state that the steps (trust, students, incidents) share: the
random stream, the clock, the staff and students made so far, and the tables being loaded.

The incidents are made in a forked process (the generator) while this one writes them, so that
making rows and writing them run side by side; the generator sends the rows in batches.
"""

import datetime
import itertools
import marshal
import multiprocessing
import random
import time
import traceback

from django.db import connection, transaction
from django.utils import timezone

from bench.scale import sinks
from bench.scale.incidents import make_incidents
from bench.scale.sinks import COLUMNS, Table
from bench.scale.students import add_students
from bench.scale.times import Clock
from bench.scale.trust import (
    SchoolExists,
    StaffMember,
    TrustSchool,
    existing_school,
    set_up_schools,
)
from demo import school as demo_school
from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Action, BodyMapMarker, Incident, LinkedStudent
from kestrel.schools.models import School
from kestrel.students.models import Student

SEED = 2025
# Every seeded account has this password (hashed once). Benchmark databases only.
PASSWORD = "kestrel scale benchmark trust"  # noqa: S105


class Seeder:
    """What the steps of the seed share. The steps are functions of the package's modules that
    take the seeder; its methods are the few that every step uses."""

    # The tables the incidents' rows go to, opened by `add_incidents`.
    incidents: Table
    incident_categories: Table
    incident_agencies: Table
    links: Table
    markers: Table
    alerts: Table
    actions: Table
    action_agencies: Table
    audit: Table

    def __init__(self, *, rng: random.Random, now: datetime.datetime, log):
        self.rng = rng
        self.random = rng.random
        self.clock = Clock(now)
        self.log = log
        self.started = time.monotonic()
        self.sink = sinks.open_sink()
        self.suffix = self.sink.suffix
        self.snapshots: dict[tuple, str] = {}
        self.schools: list[TrustSchool] = []
        self.people: dict[int, StaffMember] = {}
        self.students: dict[int, tuple[str, dict[str, str]]] = {}  # id: (first name, pronouns)
        self.tables: dict[type, Table] = {}
        self.by_name: dict[str, Table] = {}
        self.order = itertools.count()
        self.pending: list[tuple] = []  # actions and alert reads still to come, by time
        self.first_names = demo_school.first_names()

    def pick(self, choices):
        """random.choice, in a third of the time."""
        return choices[int(self.random() * len(choices))]

    def table(self, model) -> Table:
        found = self.tables[model] = sinks.open_table(model)
        self.by_name[found.name] = found
        return found

    def batch(self) -> list[tuple[str, list[tuple]]]:
        """The rows made since the last batch, table by table."""
        batch = []
        for found in self.tables.values():
            if found.rows:
                batch.append((found.name, found.rows))
                found.rows = []
        return batch

    def write(self, batch: list[tuple[str, list[tuple]]]) -> None:
        for name, rows in batch:
            found = self.by_name[name]
            self.sink.write(name, found.columns, rows)
            found.written += len(rows)

    def written(self) -> str:
        return ", ".join(
            f"{found.name} {found.written}"
            for found in self.tables.values()
            if found.written and found.model is not Student
        )

    def progress(self, what: str) -> None:
        self.log(f"{what} ({time.monotonic() - self.started:.1f} s)")

    def summary(self) -> dict[str, int]:
        return {found.name: found.written for found in self.tables.values()}

    def add_incidents(self, total: int) -> None:
        """Makes the incidents in a process of its own, and writes them here as they come."""
        for model in COLUMNS:
            if model is not Student:
                self.table(model)
        tables = self.tables
        self.incidents, self.actions, self.alerts = tables[Incident], tables[Action], tables[Alert]
        self.incident_categories = tables[Incident.categories.through]
        self.incident_agencies = tables[Incident.agencies.through]
        self.action_agencies = tables[Action.agencies.through]
        self.links, self.markers = tables[LinkedStudent], tables[BodyMapMarker]
        self.audit = tables[AuditEvent]
        for school in self.schools:
            school.chain = chain.chain_for(school.id)
            school.seq, school.prev_hash = chain.tail(school.chain)
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        maker = context.Process(target=self._make, args=(total, sending), daemon=True)
        maker.start()
        sending.close()
        try:
            while True:
                kind, value = marshal.loads(receiving.recv_bytes())  # noqa: S302 - our child
                if kind == "rows":
                    self.write(value)
                elif kind == "made":
                    self.progress(f"{value}; written: {self.written()}")
                elif kind == "done":
                    for name, next_id in value.items():
                        self.by_name[name].next_id = next_id
                    break
                else:
                    raise RuntimeError(f"Making the incidents failed:\n{value}")
        except BaseException:
            maker.terminate()  # the process this started, and only it
            raise
        finally:
            maker.join()
            receiving.close()

    def _make(self, total: int, sending) -> None:
        """In the forked process: every incident with its rows, sent in batches. Never uses
        the database connection, which belongs to the parent."""

        def send(kind, value) -> None:
            sending.send_bytes(marshal.dumps((kind, value)))

        try:
            make_incidents(self, total, send)
            send("done", {found.name: found.next_id for found in self.tables.values()})
        except BaseException:
            send("error", traceback.format_exc())


def seed_scale(
    *,
    schools: int = 5,
    staff: int = 300,
    students: int = 50_000,
    incidents: int = 1_000_000,
    seed: int = SEED,
    password: str = PASSWORD,
    now: datetime.datetime | None = None,
    log=print,
) -> dict[str, int]:
    """Adds the trust's schools with staff, students and ten years of records, in one
    transaction. Returns the rows written per table."""
    taken = existing_school(schools)
    if taken:
        raise SchoolExists(taken)
    now = now or timezone.now()
    with sinks.fast_connection():
        seeder = Seeder(rng=random.Random(seed), now=now, log=log)  # noqa: S311 - not a secret
        with transaction.atomic():
            sinks.fast_transaction()
            set_up_schools(seeder, schools, staff, password)
            seeder.progress(f"{schools} schools and {staff} staff set up")
            add_students(seeder, students)
            seeder.progress(f"{students} students")
            bulk = [model._meta.db_table for model in COLUMNS if model is not Student]
            with sinks.reference_triggers_skipped(), sinks.indexes_built_after(seeder.sink, bulk):
                seeder.add_incidents(incidents)
                seeder.progress("Written: " + seeder.written())
            seeder.progress("Indexes built")
            sinks.reset_sequences(seeder.tables.values())
            # The trail says, after everything else, that these records are made up.
            chain.bulk_append(
                AuditEvent(
                    school=school.row,
                    action="scale.seeded",
                    object_type="schools.school",
                    object_id=str(school.row.pk),
                    object_label=school.row.name,
                    detail={"seed": seed, "students": students, "incidents": incidents},
                )
                for school in seeder.schools
            )
        seeder.progress("Committed")
    counts = {School._meta.db_table: schools, User._meta.db_table: staff, **seeder.summary()}
    counts[AuditEvent._meta.db_table] += schools
    # Planner statistics for the new rows: without them both databases may pick a school-wide
    # index where a per-person one answers at once (seen on SQLite with the Dashboard's alerts).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=2000")
        for name in counts:
            cursor.execute(f'ANALYZE "{name}"')
    seeder.progress("Analysed")
    return counts
