"""`manage.py bench_roster`: a school's roster imported, step by step, on a database made fresh
for each run; then the memory of checking and applying a file, in a process of its own per size.

The imports are the ones School set-up → Import students makes, driven as the nightly
`import_roster` command drives them (no task worker): upload (the file stored encrypted, its
header read), check (the preview written), apply (confirmed, then written). Each is timed on the
wall clock with its queries counted. The numbers are wrong if the import is: the counts of every
preview and of every applied import are checked, and a wrong one fails the bench.
"""

import gc
import io
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from bench.runner.database import Size, create_postgres_database, drop_database, is_postgres
from bench.runner.run import database_description, environment, git_state, utc_now
from kestrel.audit.models import AuditEvent
from kestrel.roster import pupils, services, work
from kestrel.roster.models import Kind, RosterImport, State
from kestrel.roster.tests.exports import sample_students, sims_csv
from kestrel.schools.models import School
from kestrel.schools.scope import scope
from kestrel.students.models import Student
from kestrel.testing.queries import is_transaction_control

DATABASE_NAME = "kestrel_bench_roster"  # on PostgreSQL; var/bench/roster.sqlite3 on SQLite
FILE_NAME = "students.csv"
# The targets, on SQLite and PostgreSQL alike: upload to applied.
TARGET_NEW_SECONDS = 10.0
TARGET_CHANGED_SECONDS = 5.0
# Memory "does not grow with the file": the peak of checking and applying 5 times the rows may be
# this much higher, no more (the interpreter's own allocations move by a few MB run to run).
MEMORY_ALLOWANCE_MB = 20.0
MEMORY_SHARE = 5  # the small file of the memory runs has a fifth of the rows
CHILD_MARK = "bench_roster child: "


# -- The bench's own database and process ------------------------------------------------------


def database_url(server_url: str, out_dir: Path) -> str:
    """`kestrel_bench_roster` on the PostgreSQL server `server_url` names, else a SQLite file
    under `out_dir`: never the developer's database, nor the page bench's."""
    if is_postgres(server_url):
        return urlunsplit(urlsplit(server_url)._replace(path=f"/{DATABASE_NAME}"))
    return f"sqlite:///{out_dir / 'roster.sqlite3'}"


def roster_environment(*, students: int, out_dir: Path, server_url: str) -> dict:
    """The page bench's environment (production settings, its keys), with this bench's database
    in place of the one it names for a seeded size."""
    size = Size("roster", students=students, incidents=0, schools=1, staff=0)
    env = environment(size=size, out_dir=out_dir, server_url=server_url)
    env["DATABASE_URL"] = database_url(server_url, out_dir)
    return env


def fresh_database(url: str) -> None:
    """Drops the bench's database and makes it again, migrated and empty."""
    connections.close_all()
    drop_database(url)
    if is_postgres(url):
        create_postgres_database(url)
    call_command("migrate", "--noinput", verbosity=0)


# -- Timing and counting -----------------------------------------------------------------------


def _status_kb(name: str) -> int:
    """A line of /proc/self/status, in kB (VmRSS: now; VmHWM: the peak so far)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {name}")


class QueryCounter:
    """Counts the statements that read or write data (transaction control apart, as the page
    bench counts them), for `connection.execute_wrapper`."""

    def __init__(self):
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        if not is_transaction_control(sql):
            self.queries += 1
        return execute(sql, params, many, context)


@dataclass
class Steps:
    """Each step's wall-clock seconds and queries, in order."""

    done: list[dict] = field(default_factory=list)
    peaks: bool = False  # also the process's peak memory so far at the end of each step

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            yield
        seconds = time.perf_counter() - started
        step = {"step": name, "seconds": round(seconds, 3), "queries": counter.queries}
        if self.peaks:
            step["peak_mb"] = round(_status_kb("VmHWM") / 1024, 1)
        self.done.append(step)

    @property
    def seconds(self) -> float:
        return round(sum(step["seconds"] for step in self.done), 3)

    @property
    def queries(self) -> int:
        return sum(step["queries"] for step in self.done)


# -- One import ----------------------------------------------------------------------------------


def upload(school: School, content: bytes) -> RosterImport:
    """The file taken as the upload page takes it: a whole roster, SIMS's columns."""
    return services.start(
        school=school,
        actor=None,
        source=io.BytesIO(content),
        name=FILE_NAME,
        kind=Kind.STUDENTS,
        whole_roster=True,
        enqueue=False,
    )


def check_and_apply(roster_import: RosterImport, steps: Steps) -> tuple[dict, dict]:
    """Checks the uploaded file, then confirms and applies its preview; returns the preview's
    counts and the applied import's (empty when it never reached that far)."""
    with steps.timed("check"):
        work.check(roster_import)
        roster_import.refresh_from_db()
    if roster_import.state != State.PREVIEW:
        return {"state": roster_import.state, "message": roster_import.message}, {}
    preview = dict(roster_import.counts)
    with steps.timed("apply"):
        services.confirm(
            roster_import=roster_import, actor=None, leave_out_refused=False, enqueue=False
        )
        roster_import.refresh_from_db()
        work.apply(roster_import)
        roster_import.refresh_from_db()
    return preview, dict(roster_import.counts)


PREVIEW_COUNTS = ("rows", "new", "changed", "unchanged", "leaving", "held", "refused")
APPLIED_COUNTS = ("added", "changed", "left", "not_applied")


def count_problems(what: str, expected: dict, found: dict) -> list[str]:
    """What differs between the counts an import should have and those it has, in words."""
    return [
        f"{what}: {name} {found.get(name)!r}, expected {value}"
        for name, value in expected.items()
        if found.get(name) != value
    ]


def expected_preview(**counts) -> dict:
    return {name: counts.get(name, 0) for name in PREVIEW_COUNTS}


def expected_applied(**counts) -> dict:
    return {name: counts.get(name, 0) for name in APPLIED_COUNTS}


def timed_import(
    school: School, content: bytes, *, title: str, target: float, preview: dict, applied: dict
) -> dict:
    """One import, upload to applied, timed and counted; its row of the report."""
    steps = Steps()
    with steps.timed("upload"):
        roster_import = upload(school, content)
    problems = []
    found_preview, found_applied = {}, {}
    if roster_import.state != State.CHECKING:
        problems.append(f"the upload went to {roster_import.state}, not to checking")
    else:
        found_preview, found_applied = check_and_apply(roster_import, steps)
        problems += count_problems("preview", preview, found_preview)
        problems += count_problems("applied", applied, found_applied)
    return {
        "title": title,
        "rows": preview["rows"],
        "file_bytes": len(content),
        "steps": steps.done,
        "seconds": steps.seconds,
        "queries": steps.queries,
        "chunks": math.ceil(preview["rows"] / pupils.CHUNK),
        "target_seconds": target,
        "result": "misses" if steps.seconds > target else "meets",
        "preview": found_preview,
        "applied": found_applied,
        "problems": problems,
    }


def changed_groups(students: list[dict], changes: int) -> dict[str, str]:
    """MIS id -> the new registration group of `changes` students spread over the roll (each
    moves to the other form of their year: 4A to 4B, 4B to 4A)."""
    step = len(students) // changes
    swap = {"A": "B", "B": "A"}
    return {
        student["mis_id"]: student["tutor_group"][:-1] + swap[student["tutor_group"][-1]]
        for student in students[::step][:changes]
    }


def groups_problems(school: School, moved: dict[str, str]) -> list[str]:
    """The students the re-import moved, as the database has them now."""
    with scope(school=school.pk):
        now = dict(
            Student.objects.filter(mis_id__in=list(moved)).values_list("mis_id", "tutor_group")
        )
        events = AuditEvent.objects.filter(school=school, action="student.changed").count()
    wrong = sum(now.get(mis_id) != group for mis_id, group in moved.items())
    problems = [f"re-import: {wrong} moved students are not in their new group"] if wrong else []
    if events != len(moved):
        problems.append(f"re-import: {events} student.changed audit events, expected {len(moved)}")
    return problems


def import_files(*, students: int, changes: int) -> tuple[list[dict], dict[str, str]]:
    """The two files (a) and (b) with what each should do, and the students (b) moves. The roll
    they are made from is not kept: tens of thousands of dicts would slow the timed imports
    (every garbage collection walks them) and are no part of an import."""
    roll = sample_students(students)
    moved = changed_groups(roll, changes)
    files = [
        {
            "content": sims_csv(roll),
            "title": f"{students:,} new (whole roster)",
            "target": TARGET_NEW_SECONDS,
            "preview": expected_preview(rows=students, new=students),
            "applied": expected_applied(added=students),
        },
        {
            "content": sims_csv(
                [{**s, "tutor_group": moved.get(s["mis_id"], s["tutor_group"])} for s in roll]
            ),
            "title": f"Re-import, {changes:,} changed",
            "target": TARGET_CHANGED_SECONDS,
            "preview": expected_preview(
                rows=students, changed=changes, unchanged=students - changes
            ),
            "applied": expected_applied(changed=changes),
        },
    ]
    return files, moved


def imports(*, students: int, changes: int) -> list[dict]:
    """(a) `students` new into an empty school, (b) the same file with `changes` students'
    registration group changed."""
    school = School.objects.create(name="Roster Bench School")
    files, moved = import_files(students=students, changes=changes)
    gc.collect()
    with scope(school=school.pk):
        new = timed_import(school, **files[0])
        analyze_written()
        again = timed_import(school, **files[1])
        on_roll = Student.objects.filter(on_roll=True).count()
    if on_roll != students:
        new["problems"].append(f"{on_roll} students on roll after the imports, expected {students}")
    again["problems"] += groups_problems(school, moved)
    return [new, again]


# The tables an import fills: on PostgreSQL, analysed between the imports, untimed.
WRITTEN = ("students_student", "roster_rosterrow", "audit_auditevent")


def analyze_written() -> None:
    """On PostgreSQL, VACUUM (ANALYZE) what the first import wrote, as autovacuum would before
    the next night's file (the page bench does the same for the tables it rewrites). Without
    it, a server with autovacuum off plans the re-import's queries for the empty table the
    migrations left: each chunk's students were then read by scanning the school's 50,000 with
    1,000 parameters compared one by one, 4 s a chunk."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in WRITTEN:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


# -- Memory ----------------------------------------------------------------------------------


def child(import_id: int) -> dict:
    """In the fresh process: checks and applies the uploaded import `import_id`, and reports its
    memory before (the process as started, Django loaded) and at its peak."""
    roster_import = RosterImport.objects.select_related("school").get(pk=import_id)
    start_kb = _status_kb("VmRSS")
    steps = Steps(peaks=True)
    with scope(school=roster_import.school_id):
        preview, applied = check_and_apply(roster_import, steps)
    return {
        "start_mb": round(start_kb / 1024, 1),
        "peak_mb": round(_status_kb("VmHWM") / 1024, 1),
        "steps": steps.done,
        "seconds": steps.seconds,
        "queries": steps.queries,
        "preview": preview,
        "applied": applied,
    }


def memory_run(students: int) -> dict:
    """`students` new students uploaded here into an empty school of their own, then checked
    and applied by a fresh `manage.py bench_roster --child` process; its row of the report."""
    school = School.objects.create(name=f"Roster Bench Memory {students}")
    with scope(school=school.pk):
        roster_import = upload(school, sims_csv(sample_students(students)))
    connections.close_all()  # SQLite: no connection of ours open while the child writes
    completed = subprocess.run(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "bench_roster",
            f"--child={roster_import.pk}",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    row = {"rows": students, "chunks": math.ceil(students / pupils.CHUNK), "problems": []}
    lines = [line for line in completed.stdout.splitlines() if line.startswith(CHILD_MARK)]
    if completed.returncode or not lines:
        tail = (completed.stdout + completed.stderr)[-2000:]
        row["problems"].append(f"the child process failed ({completed.returncode}): {tail}")
        return row
    row.update(json.loads(lines[-1].removeprefix(CHILD_MARK)))
    row["growth_mb"] = round(row["peak_mb"] - row["start_mb"], 1)
    row["problems"] += count_problems(
        "preview", expected_preview(rows=students, new=students), row["preview"]
    )
    row["problems"] += count_problems("applied", expected_applied(added=students), row["applied"])
    return row


def memory(students: int) -> dict:
    """The peak of checking and applying a fifth of the file and the whole of it, each in a
    process of its own, and whether it grew with the file."""
    runs = [memory_run(count) for count in (max(students // MEMORY_SHARE, 1), students)]
    small, large = runs
    verdict = {"runs": runs, "allowance_mb": MEMORY_ALLOWANCE_MB, "growth_mb": None}
    if not small["problems"] and not large["problems"]:
        verdict["growth_mb"] = round(large["peak_mb"] - small["peak_mb"], 1)
        verdict["result"] = "misses" if verdict["growth_mb"] > MEMORY_ALLOWANCE_MB else "meets"
    else:
        verdict["result"] = "refused"
    return verdict


# -- The run and its report --------------------------------------------------------------------


def run(*, students: int, changes: int, out_dir: Path, stdout) -> str:
    """The whole bench in its own process; prints the table, saves the JSON and returns why it
    failed ("" if it did not). Time never fails it: targets are met or missed."""
    started = utc_now()
    url = os.environ["DATABASE_URL"]
    stdout.write(f"bench_roster: a fresh database ({url.split('@')[-1]})")
    fresh_database(url)
    stdout.write(f"bench_roster: importing {students:,} students, then {changes:,} changes")
    rows = imports(students=students, changes=changes)
    stdout.write("bench_roster: memory, each size checked and applied in a process of its own")
    used = memory(students)
    report = {
        "started_at": started,
        "finished_at": utc_now(),
        "database": describe_database(url),
        "students": students,
        "changes": changes,
        "chunk_rows": pupils.CHUNK,
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "git": git_state(),
        "imports": rows,
        "memory": used,
    }
    report["ok"] = not failures(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = out_dir / f"roster-{connection.vendor}.json"
    saved.write_text(json.dumps(report, indent=2) + "\n")
    stdout.write("")
    stdout.write(table(report))
    stdout.write(f"\nSaved {saved}.")
    return failures(report)


def describe_database(url: str) -> dict:
    description = database_description(url, True)  # made this run
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            description["autovacuum"] = cursor.fetchone()[0]
    return description


def failures(report: dict) -> str:
    problems = [p for row in report["imports"] for p in row["problems"]]
    problems += [p for run in report["memory"]["runs"] for p in run["problems"]]
    if not problems:
        return ""
    return f"The imports were not right ({len(problems)} problems, see WRONG above)."


IMPORT_COLUMNS = [
    ("import", "<", 30),
    ("step", "<", 7),
    ("seconds", ">", 8),
    ("queries", ">", 8),
    ("target", ">", 10),
    ("result", "<", 7),
]
MEMORY_COLUMNS = [
    ("check and apply, own process", "<", 30),
    ("start MB", ">", 9),
    ("peak MB: check", ">", 15),
    ("and apply", ">", 9),
    ("growth MB", ">", 10),
    ("seconds", ">", 8),
    ("queries", ">", 8),
]


def _line(cells: list, columns: list) -> str:
    return " ".join(
        f"{cell:{align}{width}}" for cell, (_, align, width) in zip(cells, columns, strict=True)
    ).rstrip()


def _header(columns: list) -> list[str]:
    header = _line([name for name, _, _ in columns], columns)
    return [header, "-" * len(header)]


def table(report: dict) -> str:
    """The imports step by step, then the memory runs, then what was wrong (nothing, or the bench
    fails)."""
    database, git = report["database"], report["git"]
    changed = " (with uncommitted changes)" if git["dirty"] else ""
    lines = [
        f"Kestrel roster bench: {database['vendor']} {database['version']}, SIMS CSV of "
        f"{report['students']:,} students, chunks of {report['chunk_rows']:,} rows, "
        f"{report['machine']['cores']} cores, commit {git['commit'][:10]}{changed}",
        "",
        *_header(IMPORT_COLUMNS),
    ]
    for row in report["imports"]:
        title = row["title"]
        for step in row["steps"]:
            lines.append(
                _line(
                    [title, step["step"], f"{step['seconds']:.2f}", step["queries"], "", ""],
                    IMPORT_COLUMNS,
                )
            )
            title = ""
        result = "WRONG" if row["problems"] else row["result"]
        target = f"<= {row['target_seconds']:g} s"
        lines.append(
            _line(
                ["", "total", f"{row['seconds']:.2f}", row["queries"], target, result],
                IMPORT_COLUMNS,
            )
        )
    lines += ["", *_header(MEMORY_COLUMNS)]
    used = report["memory"]
    for run in used["runs"]:
        cells = [f"{run['rows']:,} new", "-", "-", "-", "-", "-", "-"]
        if not run["problems"]:
            cells[1:] = [
                f"{run['start_mb']:.1f}",
                f"{run['steps'][0]['peak_mb']:.1f}",
                f"{run['peak_mb']:.1f}",
                f"{run['growth_mb']:.1f}",
                f"{run['seconds']:.2f}",
                run["queries"],
            ]
        lines.append(_line(cells, MEMORY_COLUMNS))
    if used["growth_mb"] is not None:
        small, large = used["runs"]
        more = large["chunks"] - small["chunks"]
        per_chunk = (large["queries"] - small["queries"]) / more if more else 0
        lines += [
            "",
            f"Queries grow with chunks, not rows: {small['queries']} to check and apply "
            f"{small['rows']:,} rows ({small['chunks']} chunks), {large['queries']} for "
            f"{large['rows']:,} ({large['chunks']} chunks): {per_chunk:.1f} more a chunk.",
            f"Peak from {small['rows']:,} to {large['rows']:,} rows: {used['growth_mb']:+.1f} MB "
            f"(target: does not grow with the file, <= {used['allowance_mb']:g} MB): "
            f"{used['result']}",
        ]
    lines.append(
        f"Targets (the issue's, on SQLite and PostgreSQL alike): 50,000 new students imported "
        f"in <= {TARGET_NEW_SECONDS:g} s and a re-import with 500 changes in <= "
        f"{TARGET_CHANGED_SECONDS:g} s, upload to applied, wall clock; met or missed is "
        "informational. WRONG means an import's counts were not what the file holds: the bench "
        "fails."
    )
    if "autovacuum" in database:
        lines.append(
            f"Between the imports, untimed: VACUUM (ANALYZE) of {', '.join(WRITTEN)}, as "
            f"autovacuum would do before the next night's file (autovacuum here: "
            f"{database['autovacuum']})."
        )
    for row in report["imports"]:
        lines += [f"WRONG {row['title']}: {problem}" for problem in row["problems"]]
    for run in used["runs"]:
        lines += [f"WRONG memory run of {run['rows']:,}: {problem}" for problem in run["problems"]]
    return "\n".join(lines)
