"""An audited page costs one INSERT; the worker's sealer links the rows into their chain within
the bound, and `verify_audit` catches tampering before and after sealing (issue 19, part 1)."""

import datetime
import itertools
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.audit.sealing import seal_all
from kestrel.audit.services import record
from kestrel.audit.tests.tampering import TABLE, raw, tamper
from kestrel.ops.tests.test_worker_faults import ROOT, Scene, kill_group, wait_for
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AlertFactory,
    IncidentFactory,
    SchoolFactory,
    StudentFactory,
)


def audit_statements(client, url: str):
    """Every statement one request writes to the audit table (the audit trail's own pages also
    read it), with whether it ran inside a transaction, and every statement that took a chain's
    turn or read its tail."""
    seen = []

    def spy(execute, sql, params, many, context):
        seen.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    client.get("/dashboard/")  # the session's renewal is not what is measured
    with connection.execute_wrapper(spy):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    audit = [
        (sql, atomic)
        for sql, atomic in seen
        if TABLE in sql and not sql.lstrip().upper().startswith("SELECT")
    ]
    tail = f'SELECT "{TABLE}"."seq", "{TABLE}"."row_hash"'  # chain.tail, SQLite's turn
    turns = [
        sql
        for sql, _ in seen
        if "kestrel_audit_turn" in sql or "advisory" in sql or sql.startswith(tail)
    ]
    return audit, turns


@pytest.fixture
def scene_pages(transactional_db, school, people, signed_in):
    student = StudentFactory(school=school)
    incident = IncidentFactory(school=school, student=student, reporter=people.teacher)
    AlertFactory(incident=incident, recipient=people.teacher, sender=people.dsl)
    return SimpleNamespace(student=student, incident=incident)


@pytest.mark.parametrize(
    "who, path",
    [
        ("teacher", "/dashboard/"),
        ("teacher", "/incidents/{incident}/"),
        ("dsl", "/incidents/{incident}/"),
        ("dsl", "/students/{student}/"),
        ("dsl", "/audit/students/{student}/"),
        ("teacher", "/students/search/?q={name}"),
    ],
)
def test_an_audited_page_writes_its_audit_row_in_one_statement_outside_any_transaction(
    scene_pages, people, signed_in, who, path
):
    client = signed_in(getattr(people, who))
    if who == "dsl":
        unlock_key(client)
    url = path.format(
        incident=scene_pages.incident.pk,
        student=scene_pages.student.pk,
        name=scene_pages.student.legal_first_name,
    )
    audit, turns = audit_statements(client, url)
    assert len(audit) == 1, audit
    [(sql, in_transaction)] = audit
    assert sql.lstrip().upper().startswith("INSERT")
    assert not in_transaction  # autocommit: no BEGIN, no COMMIT, no lock
    assert turns == []
    written = AuditEvent.objects.order_by("-id").first()
    assert written.seq is None and chain.mac_holds(written)


@pytest.fixture
def sealed(db):
    """Six rows written as pages write them, then sealed."""
    school = SchoolFactory()
    for n in range(6):
        record(action=f"test.{n}", school=school, detail={"n": n})
    assert seal_all() == "6 audit rows sealed"
    return list(AuditEvent.objects.filter(school=school).order_by("seq"))


def verify_errors(capsys) -> str:
    with pytest.raises(CommandError):
        call_command("verify_audit")
    return capsys.readouterr().err


def test_sealed_rows_form_an_unbroken_chain_in_the_order_they_were_written(sealed, capsys):
    assert [row.seq for row in sealed] == [1, 2, 3, 4, 5, 6]
    assert [row.action for row in sealed] == [f"test.{n}" for n in range(6)]
    assert sealed[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(sealed))
    call_command("verify_audit")
    assert "Audit trail intact: 6 events checked." in capsys.readouterr().out


def test_a_row_removed_after_sealing_is_named(sealed, capsys):
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [sealed[2].pk])
    assert "sequence 3: row missing (next row found is 4)" in verify_errors(capsys)


def test_a_row_altered_after_sealing_is_named(sealed, capsys):
    tamper(f"UPDATE {TABLE} SET object_label = 'nobody' WHERE id = %s", [sealed[3].pk])
    assert f"sequence 4, row id {sealed[3].pk}: row altered" in verify_errors(capsys)


def test_a_row_inserted_among_sealed_rows_is_named(sealed, capsys):
    from kestrel.audit.tests.tampering import slip_in

    slip_in(sealed[1], at=2)
    assert "sequence 2, row id" in verify_errors(capsys)


def test_a_sealed_rows_own_mac_cannot_be_removed(sealed, capsys):
    tamper(f"UPDATE {TABLE} SET mac = '' WHERE id = %s", [sealed[4].pk])
    assert f"sequence 5, row id {sealed[4].pk}: row altered" in verify_errors(capsys)


def test_a_row_altered_before_it_was_sealed_is_caught_and_never_sealed(db, capsys):
    school = SchoolFactory()
    event = record(action="student.viewed", school=school, detail={"n": 1})
    tamper(f"UPDATE {TABLE} SET action = 'nothing.happened' WHERE id = %s", [event.pk])
    assert seal_all() == "0 audit rows sealed"
    assert AuditEvent.objects.get(pk=event.pk).seq is None
    assert f"row id {event.pk}: unsealed row altered (its MAC does not hold)" in verify_errors(
        capsys
    )


def test_a_copied_row_is_caught(db, capsys):
    school = SchoolFactory()
    event = record(action="student.viewed", school=school)
    with pytest.raises(DatabaseError), transaction.atomic():  # the database refuses a copy
        raw(
            f"INSERT INTO {TABLE} (school_id, actor_label, action, object_type, object_id,"
            " object_label, detail, session_hash, at, chain, prev_hash, row_hash, mac, nonce)"
            f" SELECT school_id, actor_label, action, object_type, object_id, object_label,"
            f" detail, session_hash, at, chain, prev_hash, row_hash, mac, nonce FROM {TABLE}"
            " WHERE id = %s",
            [event.pk],
        )
    raw("DROP INDEX auditevent_unique_mac")  # so an administrator lifts it first
    raw(
        f"INSERT INTO {TABLE} (school_id, actor_label, action, object_type, object_id,"
        " object_label, detail, session_hash, at, chain, prev_hash, row_hash, mac, nonce)"
        f" SELECT school_id, actor_label, action, object_type, object_id, object_label,"
        f" detail, session_hash, at, chain, prev_hash, row_hash, mac, nonce FROM {TABLE}"
        " WHERE id = %s",
        [event.pk],
    )
    assert "copied: 2 rows share its MAC" in verify_errors(capsys)


def test_a_row_left_unsealed_past_the_bound_is_a_fault(db, capsys, settings):
    settings.AUDIT_SEAL_SECONDS = 5
    school = SchoolFactory()
    with time_machine.travel(timezone.now() - datetime.timedelta(seconds=6), tick=False):
        late = record(action="student.viewed", school=school)
    record(action="student.viewed", school=school)  # within the bound: not a fault
    err = verify_errors(capsys)
    assert f"row id {late.pk}: unsealed for 6 s, more than 5 s: is the worker's sealer" in err
    assert err.count("unsealed for") == 1


def test_sealing_is_the_only_update_a_row_allows(db):
    school = SchoolFactory()
    event = record(action="student.viewed", school=school)
    change_and_seal = f"UPDATE {TABLE} SET seq = 1, action = 'other' WHERE id = %s"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(change_and_seal, [event.pk])
    seal_all()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"UPDATE {TABLE} SET seq = 7 WHERE id = %s", [event.pk])  # sealed once only
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"UPDATE {TABLE} SET seq = NULL WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).seq == 1


def test_the_worker_seals_within_the_bound_and_a_sealer_killed_mid_seal_loses_nothing(
    tmp_path, transactional_db, settings
):
    """Real processes: a writer records rows, the supervised worker seals them within
    AUDIT_SEAL_SECONDS; a worker killed (`kill -9`) while sealing leaves them unsealed, and the
    next one seals them into an unbroken chain."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    school = SchoolFactory()
    scene = Scene(tmp_path)
    scene.publish()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KESTREL_"))},
        "DJANGO_SETTINGS_MODULE": "kestrel.testing.settings_faults",
        "DATABASE_URL": scene.url,
        "KESTREL_VAR_DIR": str(tmp_path),
        "KESTREL_PAUSE_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }

    def write(count: int) -> float:
        """Records `count` rows from another process; returns when they were committed."""
        code = (
            "from django.db import transaction\n"
            "from kestrel.audit.services import record\n"
            "from kestrel.schools.models import School\n"
            "from kestrel.schools.scope import scopes_disabled\n"
            f"with scopes_disabled(), transaction.atomic():\n"
            f"    school = School.objects.get(pk={school.pk})\n"
            f"    for n in range({count}): record(action='test.written', school=school)\n"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True
        )
        return time.monotonic()

    def unsealed() -> int:
        rows = scene.rows(f"SELECT count(*) FROM {TABLE} WHERE seq IS NULL")
        return rows[0][0]

    def worker(log: str, **extra):
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=ROOT,
            env={**env, **extra},
            stdout=(tmp_path / log).open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    # Killed while sealing: the seal's transaction dies with it.
    first = worker("first.log", KESTREL_PAUSE_AT="audit_sealing")
    scene.log = tmp_path / "first.log"
    try:
        write(5)
        pid = scene.paused("audit_sealing")
        os.killpg(os.getpgid(pid), signal.SIGKILL)
        first.wait(timeout=10)
        assert unsealed() == 5
    finally:
        kill_group(first)

    second = worker("second.log")
    try:
        assert wait_for(lambda: unsealed() == 0, seconds=60), (tmp_path / "second.log").read_text()
        written = write(3)
        assert wait_for(lambda: unsealed() == 0, seconds=30)
        took = time.monotonic() - written
    finally:
        kill_group(second)
    assert took <= settings.AUDIT_SEAL_SECONDS
    seqs = [seq for (seq,) in scene.rows(f"SELECT seq FROM {TABLE} ORDER BY seq")]
    assert seqs == list(range(1, 9))
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Audit trail intact: 8 events checked." in verify.stdout, verify.stdout + verify.stderr
