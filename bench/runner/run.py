"""One bench run, from the bench database to the saved report.

`manage.py bench` starts this in a process of its own (`environment()`), with the bench's
settings and database, so that nothing it does can touch the developer's database.
"""

import dataclasses
import datetime
import os
import platform
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from bench.runner import load as wrk
from bench.runner import server
from bench.runner.case_files import give_case_files
from bench.runner.database import (
    SCHOOL_NAME,
    Size,
    bench_database_url,
    create_postgres_database,
    database_label,
    drop_database,
    is_postgres,
    prepare_database,
)
from bench.runner.mixed import MixedLoad, drive_mix
from bench.runner.pages import Page, build_pages
from bench.runner.people import (
    ACCOUNTS,
    DSL_ALERTS,
    READER_ALERTS,
    TEACHER_ALERTS,
    People,
    bench_people,
    cookie_header,
    end_old_sessions,
    give_unread_alerts,
    new_csrf_secret,
    session_key,
    signed_in_client,
)
from bench.runner.plan import Plan, made_rows, make_plan, unread_alerts_of
from bench.runner.profile import profile_page
from bench.runner.queries import measure
from bench.runner.report import TARGETS_NOTE, assess, failures, save, table
from kestrel.accounts.models import User
from kestrel.environment import local_field_encryption_keys
from kestrel.schools.models import School

INSIDE = "KESTREL_BENCH_INSIDE"  # set in the bench's own process
SESSIONS_PER_ACCOUNT = 8
# Each page's sessions: an account's own, and the floor's (the DSL's, but not shared with pages).
SESSION_GROUPS = {**{name: name for name in ACCOUNTS}, "floor": "dsl"}
# No task worker runs during the bench, and nothing listens here: alert emails stay queued,
# which shows that no request waits for an email to be sent.
EMAIL_URL = "smtp://127.0.0.1:1"


def environment(*, size: Size, out_dir: Path, server_url: str) -> dict:
    """The environment of the bench's process and of gunicorn: production settings plus the
    floor, the bench database, a secret key made for this run."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": bench_database_url(server_url, size, out_dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            # Kept with the bench database, so its audit chain stays verifiable across runs.
            "AUDIT_KEY": env.get("AUDIT_KEY") or audit_key(out_dir),
            # Kept with the bench database too: its authenticator secrets are encrypted with it.
            "FIELD_ENCRYPTION_KEYS": env.get("FIELD_ENCRYPTION_KEYS")
            or ",".join(local_field_encryption_keys(out_dir)),
            "EMAIL_URL": EMAIL_URL,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "https://127.0.0.1",
            "KESTREL_VAR_DIR": str(out_dir),
            "STATIC_ROOT": str(out_dir / "static"),
            "PYTHONUNBUFFERED": "1",
            INSIDE: "1",
        }
    )
    return env


def audit_key(out_dir: Path) -> str:
    path = out_dir / "audit_key"
    if not path.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def run(
    *, size: Size, load: wrk.Load, mixed: MixedLoad | None, out_dir: Path, fresh: bool, stdout
) -> str:
    """Prepares the data, measures every page, then the mix of them (unless `mixed` is None),
    prints the tables and saves the JSON; returns why the bench failed, or "" if it did not."""
    started = utc_now()
    url = os.environ["DATABASE_URL"]
    bench = set_up(size, url=url, fresh=fresh, stdout=stdout)
    people, pages = bench.people, bench.pages
    rows = [count_queries(page, bench.measuring[page.sessions], people) for page in pages]
    connections.close_all()

    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / f"gunicorn-{database_label(url)}-{size.name}.log"
    stdout.write(
        f"bench: {len(pages)} pages, {load.seconds} s each after {load.warmup_seconds} s of "
        f"warm-up (server log: {log})"
    )
    # The scripts hold live session cookies: they are kept only while the run lasts.
    with (
        tempfile.TemporaryDirectory(prefix="kestrel-bench-") as scripts,
        server.gunicorn(port=server.free_port(), log=log, ready_path="/bench/floor/") as base,
    ):
        for page, row in zip(pages, rows, strict=True):
            try:
                drive(page, row, base_url=base, load=load, people=people, workdir=Path(scripts))
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
                row["problems"].append(str(error))
                continue
            stdout.write(
                f"bench: {page.title} ({page.role}): {row['load']['rps']:.1f} rps, "
                f"p95 {row['load']['p95_ms']:.1f} ms"
            )
        mix = None
        if mixed is not None:
            stdout.write(f"bench: mixed run, {mixed.connections} connections for {mixed.seconds} s")
            mix = drive_mix(pages, base_url=base, load=mixed, people=people, workdir=Path(scripts))
            connections.close_all()

    report = {
        "started_at": started,
        "finished_at": utc_now(),
        "database": database_description(url, bench.seeded_now),
        "size": dataclasses.asdict(size),
        "data": {
            **bench.plan.counts,
            "school": bench.school.name,
            "chronology_entries": bench.plan.chronology_entries,
            "reader_unread_alerts": bench.reader_alerts,
            "sessions_per_account": SESSIONS_PER_ACCOUNT,
        },
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "git": git_state(),
        "server": server.description(),
        "load": {"tool": wrk.wrk_version(), **dataclasses.asdict(load)},
        "targets_note": TARGETS_NOTE,
        "floor": assess(rows),
        "pages": rows,
        "mixed": mix,
        "ok": not any(row["problems"] for row in rows) and not (mix and mix["problems"]),
    }
    dated, latest = save(report, out_dir)
    stdout.write("")
    stdout.write(table(report))
    stdout.write(f"\nSaved {dated} (and {latest.name}).")
    return failures(report)


def profile(*, size: Size, key: str, requests: int, stdout) -> None:
    """`--profile`: one page, in-process, on the bench's database (seeded first if need be)."""
    bench = set_up(size, url=os.environ["DATABASE_URL"], fresh=False, stdout=stdout)
    page = fresh_ids(next(page for page in bench.pages if page.key == key), bench.people)
    profile_page(
        page,
        bench.measuring[page.sessions],
        requests=requests,
        stdout=stdout,
        save_to=Path(settings.VAR_DIR) / f"profile-{key}.pstats",  # the bench's out dir
    )


@dataclass
class Bench:
    seeded_now: bool
    school: School
    people: People
    plan: Plan
    reader_alerts: int
    pages: list[Page]  # with the targets for this database
    measuring: dict  # a signed-in test client per session group, for in-process requests


def set_up(size: Size, *, url: str, fresh: bool, stdout) -> Bench:
    """The bench's data, its users' alerts and sessions, and the pages they drive."""
    seeded_now = prepare(size, url=url, fresh=fresh, stdout=stdout)
    school = School.objects.get(name=SCHOOL_NAME.format(1))
    people = bench_people(school)
    plan = make_plan(school, people)
    give_case_files(school, people, plan)
    reader_alerts = give_alerts(people, plan)
    cookies, measuring, csrf = sign_in(people)
    vacuum_rewritten()
    pages = [
        dataclasses.replace(page, target=page.target.on(connection.vendor)) if page.target else page
        for page in build_pages(plan, cookies=cookies, csrf=csrf)
    ]
    return Bench(seeded_now, school, people, plan, reader_alerts, pages, measuring)


# The tables each set-up and run rewrite: the bench users' alerts (unread again, marked read)
# and their sessions.
REWRITTEN = ("alerts_alert", "django_session", "accounts_signinsession")


def vacuum_rewritten() -> None:
    """On PostgreSQL, VACUUM (ANALYZE) the tables the bench rewrites, as autovacuum would on a
    production server. A server with autovacuum off (some test machines) otherwise piles up dead
    rows run after run, and the pages slow down with them (1.45M dead alert rows after six runs,
    seen here)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in REWRITTEN:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def prepare(size: Size, *, url: str, fresh: bool, stdout) -> bool:
    """The bench database, made, migrated and seeded as needed, and the static files for the
    production storage; True if it was seeded in this run."""
    if fresh:
        connections.close_all()  # a connection left open would go on using the dropped file
        drop_database(url)
    if is_postgres(url):
        create_postgres_database(url)
    seeded_now = prepare_database(size, stdout=stdout)
    call_command("collectstatic", "--noinput", verbosity=0)
    return seeded_now


def give_alerts(people, plan) -> int:
    """Unread alerts for the Dashboards and for mark as read; returns the reader's count."""
    sender = User.objects.get(pk=plan.alert_staff[0])
    bench_users = list(people.values())
    for name, count in [("teacher", TEACHER_ALERTS), ("dsl", DSL_ALERTS)]:
        give_unread_alerts(people[name], count, sender=sender, skip_reporters=bench_users)
    reader_alerts = give_unread_alerts(
        people["reader"],
        min(READER_ALERTS, plan.counts["incidents"]),
        sender=sender,
        skip_reporters=bench_users,
    )
    plan.alerts_to_read = unread_alerts_of(people["reader"])
    return reader_alerts


def sign_in(people) -> tuple[dict, dict, str]:
    """New signed-in sessions (earlier runs' are ended): the cookies wrk sends for each group,
    a test client per group for counting queries, and the CSRF secret the cookies carry."""
    end_old_sessions(people)
    csrf = new_csrf_secret()
    cookies, measuring = {}, {}
    for group, name in SESSION_GROUPS.items():
        user, unlock = people[name], ACCOUNTS[name].key_holder
        cookies[group] = tuple(
            cookie_header(session_key(signed_in_client(user, unlock=unlock)), csrf)
            for _ in range(SESSIONS_PER_ACCOUNT)
        )
        measuring[group] = signed_in_client(user, unlock=unlock)
    return cookies, measuring, csrf


def count_queries(page: Page, client, people) -> dict:
    """The page's row, with its queries counted in-process and its answer checked."""
    page = fresh_ids(page, people)
    row = new_row(page)
    before = made_rows(people)
    try:
        measured = measure(client, page)
    except Exception as error:  # a page that raises is a refused row, not a crashed bench
        row["problems"].append(f"in-process request raised {error!r}")
        return row
    row.update(
        queries=measured.queries,
        transaction_statements=measured.transaction_statements,
        statements=measured.statements,
        in_process={"status": measured.status, "location": measured.location},
    )
    if measured.problem:
        row["problems"].append(measured.problem)
    row["problems"] += [
        f"in-process: {problem}"
        for problem in wrk.effect_problems(page, before, made_rows(people), answered=2, in_flight=0)
    ]
    return row


def drive(page: Page, row: dict, *, base_url: str, load: wrk.Load, people, workdir: Path):
    """Warms the page up, then drives it with wrk and checks every answer and what it made."""
    in_flight = 0
    if load.warmup_seconds:
        wrk.run_wrk(
            fresh_ids(page, people),
            base_url=base_url,
            load=load,
            seconds=load.warmup_seconds,
            workdir=workdir,
        )
        # Requests the warm-up left in flight may still be recorded after this point.
        in_flight = load.connections
    page = fresh_ids(page, people, skip=in_flight)
    row["paths"] = len(page.paths)
    before = made_rows(people)
    connections.close_all()
    result = wrk.run_wrk(page, base_url=base_url, load=load, seconds=load.seconds, workdir=workdir)
    after = made_rows(people)
    connections.close_all()
    row["load"] = result
    row["problems"] += wrk.problems(result, expected=page.expected)
    row["problems"] += wrk.effect_problems(
        page,
        before,
        after,
        answered=result["requests"] - result["unexpected"],
        in_flight=in_flight + load.connections,
    )


def fresh_ids(page: Page, people, skip: int = 0) -> Page:
    """Mark as read needs alerts still unread, each used once: those earlier requests left,
    less the first `skip` (requests still in flight may be marking them)."""
    if page.key != "mark_read":
        return page
    ids = unread_alerts_of(people["reader"])[skip:]
    return dataclasses.replace(page, paths=tuple(f"/alerts/{pk}/read/" for pk in ids))


def new_row(page: Page) -> dict:
    return {
        "key": page.key,
        "title": page.title,
        "role": page.role,
        "method": page.method,
        "expected": page.expected,
        "paths": len(page.paths),
        "target": dataclasses.asdict(page.target) if page.target else None,
        "target_label": str(page.target) if page.target else "-",
        "queries": None,
        "transaction_statements": None,
        "statements": [],
        "in_process": None,
        "load": None,
        "problems": [],
    }


def database_description(url: str, seeded_now: bool) -> dict:
    if connection.vendor == "postgresql":
        version = str(connection.pg_version)
    else:
        version = connection.Database.sqlite_version
    return {
        "label": database_label(url),
        "vendor": connection.vendor,
        "name": str(settings.DATABASES["default"]["NAME"]),
        "version": version,
        "seeded_this_run": seeded_now,
    }


def git_state() -> dict:
    def git(*args) -> str:
        completed = subprocess.run(
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        return completed.stdout.strip() if completed.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
