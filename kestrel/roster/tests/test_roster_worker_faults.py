"""An import survives its worker being killed (`kill -9`): real `manage.py worker` processes.

Checking a file is started again from the top by the worker that replaces a killed one (its
preview is written again, never twice); applying carries on from the first chunk of rows not yet
applied, so that every student is added exactly once, with exactly one audit event each, and the
import ends with its one import event.
"""

import io

import pytest

from kestrel.ops.tests.test_worker_faults import Scene, kill_group, wait_for
from kestrel.roster import services, work
from kestrel.roster.models import Kind, RosterImport
from kestrel.roster.tests.exports import sample_students, sims_csv
from kestrel.testing.smtp import SMTPServer

STUDENTS = 2500  # three chunks of rows


@pytest.fixture
def scene(tmp_path, transactional_db, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The workers read the uploaded file this process encrypted, and seal its audit rows.
    monkeypatch.setenv("FIELD_ENCRYPTION_KEYS", ",".join(settings.FIELD_ENCRYPTION_KEYS))
    monkeypatch.setenv("AUDIT_KEY", settings.AUDIT_KEY or settings.SECRET_KEY)
    return Scene(tmp_path)


def _uploaded(school, admin, *, check_here: bool) -> RosterImport:
    csv = sims_csv(sample_students(STUDENTS))
    roster_import = services.start(
        school=school,
        actor=admin,
        source=io.BytesIO(csv),
        name="roll.csv",
        kind=Kind.STUDENTS,
        whole_roster=True,
        enqueue=not check_here,
    )
    if check_here:
        work.check(roster_import)
        roster_import.refresh_from_db()
    return roster_import


def _killed_then_finished(scene, point, until):
    with SMTPServer() as smtp:
        first = scene.worker(smtp, pause_at=point, log="first.log")
        try:
            scene.paused(point)
            kill_group(first)
        finally:
            kill_group(first)
        second = scene.worker(smtp, log="second.log")
        try:
            done = wait_for(until, seconds=120)
        finally:
            kill_group(second)
    logs = "\n".join(f"{log.name}:\n{log.read_text()}" for log in scene.tmp_path.glob("*.log"))
    assert done, logs


def test_a_worker_killed_while_checking_leaves_one_whole_preview(scene, people, school):
    roster_import = _uploaded(school, people.admin, check_here=False)
    scene.publish()
    state = f"SELECT state FROM roster_rosterimport WHERE id = {roster_import.pk}"
    _killed_then_finished(
        scene, "roster_checked_chunk", lambda: scene.rows(state) == [("preview",)]
    )
    rows = scene.rows(
        "SELECT outcome, COUNT(*), COUNT(DISTINCT row) FROM roster_rosterrow "
        f"WHERE roster_import_id = {roster_import.pk} GROUP BY outcome"
    )
    assert rows == [("new", STUDENTS, STUDENTS)]
    assert scene.rows(
        f"SELECT COUNT(*) FROM roster_uploadchunk WHERE roster_import_id = {roster_import.pk}"
    ) == [(0,)]


def test_a_worker_killed_while_applying_adds_every_student_once(scene, people, school):
    roster_import = _uploaded(school, people.admin, check_here=True)
    assert roster_import.counts["new"] == STUDENTS
    services.confirm(roster_import=roster_import, actor=people.admin, leave_out_refused=False)
    scene.publish()
    state = f"SELECT state FROM roster_rosterimport WHERE id = {roster_import.pk}"
    _killed_then_finished(scene, "roster_applied_chunk", lambda: scene.rows(state) == [("done",)])
    assert scene.rows("SELECT COUNT(*), COUNT(DISTINCT upn) FROM students_student") == [
        (STUDENTS, STUDENTS)
    ]
    assert scene.rows(
        "SELECT COUNT(*), COUNT(DISTINCT student_id) FROM audit_auditevent "
        "WHERE action = 'student.added'"
    ) == [(STUDENTS, STUDENTS)]
    assert scene.rows("SELECT COUNT(*) FROM audit_auditevent WHERE action = 'roster.imported'") == [
        (1,)
    ]
    assert scene.rows(
        "SELECT COUNT(*) FROM roster_rosterrow "
        f"WHERE roster_import_id = {roster_import.pk} AND applied"
    ) == [(STUDENTS,)]
