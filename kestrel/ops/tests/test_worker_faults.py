"""A dying worker loses no alert: real `manage.py worker` processes, killed with `kill -9`.

Each test adds an incident that alerts four colleagues (the database task queue, as in
production), starts the supervised worker against the same database (on SQLite a file copied from
the test database; on PostgreSQL the test database itself), stops it at a named point
(`kestrel.faults`), kills it there, and checks with a real SMTP server that every alert email
arrives, one message per alert. A worker killed after the SMTP server accepted a message and
before recording it sends that message again with the same Message-ID: the accepted design
(a mailbox shows one message per Message-ID), asserted below.
"""

import contextlib
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from kestrel.alerts.models import Alert
from kestrel.alerts.tasks import message_id
from kestrel.incidents.models import Draft
from kestrel.incidents.services import add_incident
from kestrel.testing.factories import CategoryFactory, StudentFactory, UserFactory
from kestrel.testing.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[3]


def wait_for(predicate, seconds=30.0, every=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    return None


class Scene:
    """The database the worker processes use, and a way to read it from here."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        if connection.vendor == "sqlite":
            self.file = tmp_path / "kestrel.sqlite3"
            self.url = f"sqlite:///{self.file}"
        else:
            self.file = None
            settings = connection.settings_dict
            self.url = (
                f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}"
                f"/{settings['NAME']}"
            )

    def publish(self):
        """Makes what the test wrote visible to the worker processes."""
        if self.file is not None:
            connection.ensure_connection()
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)

    def rows(self, sql):
        if self.file is not None:
            with sqlite3.connect(self.file, timeout=20) as reader:
                return reader.execute(sql).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def email_states(self) -> dict[int, str]:
        return dict(self.rows("SELECT id, email_status FROM alerts_alert"))

    def worker(self, smtp, pause_at="", pause_seconds="", log="worker.log"):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KESTREL_"))},
            "DJANGO_SETTINGS_MODULE": "kestrel.testing.settings_faults",
            "DATABASE_URL": self.url,
            "EMAIL_URL": smtp.url,
            "SITE_URL": "http://testserver",  # the Message-IDs the test expects
            "KESTREL_VAR_DIR": str(self.tmp_path),
            "KESTREL_PAUSE_AT": pause_at,
            "KESTREL_PAUSE_DIR": str(self.tmp_path),
            "KESTREL_PAUSE_SECONDS": pause_seconds,
            "PYTHONUNBUFFERED": "1",
        }
        self.log = self.tmp_path / log
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed whole at the end
        )

    def paused(self, point) -> int:
        """The process id of the worker stopped at `point`, once it is there."""
        marker = self.tmp_path / point
        found = wait_for(marker.exists, seconds=60)
        assert found, f"no worker reached {point}:\n{self.log.read_text()}"
        return int(marker.read_text())


def kill_group(process):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def scene(tmp_path, transactional_db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return Scene(tmp_path)


@pytest.fixture
def four_alerts(people, school):
    """Add Incident by the teacher from a saved draft, alerting four colleagues: the incident's
    alerts (the worker removes the draft with their emails)."""
    submission = "f" * 32
    Draft.objects.create(school=school, author=people.teacher, submission=submission)
    incident = add_incident(
        actor=people.teacher,
        student=StudentFactory(school=school),
        text="Said something worrying.",
        categories=[CategoryFactory(school=school, access_level=people.teacher.access_level)],
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        alert_recipients=[UserFactory(school=school) for _ in range(4)],
        submission_key=f"{people.teacher.pk}:{submission}",
        draft=submission,
    )
    return list(Alert.objects.filter(incident=incident))


def delivered_once_each(smtp, alerts, scene, resent=0):
    """Every alert's email arrived, as one message per alert in the mailbox (its Message-ID);
    `resent` of them were delivered twice with the same Message-ID (killed after sending)."""
    all_sent = wait_for(lambda: set(scene.email_states().values()) == {"sent"}, seconds=60)
    logs = "\n".join(f"{log.name}:\n{log.read_text()}" for log in scene.tmp_path.glob("*.log"))
    tasks = scene.rows(
        "SELECT task_path, status, worker_ids FROM django_tasks_database_dbtaskresult"
    )
    assert all_sent, f"{scene.email_states()}\n{tasks}\n{logs}"
    delivered = smtp.delivered()
    assert set(delivered) == {message_id(alert) for alert in alerts}
    for alert in alerts:
        (message, *again) = delivered[message_id(alert)]
        assert message["To"] == alert.recipient.email
        assert all(copy["To"] == alert.recipient.email for copy in again)
    copies = sorted(len(messages) for messages in delivered.values())
    assert copies == [1] * (len(alerts) - resent) + [2] * resent


def test_a_worker_killed_while_queueing_the_emails_and_between_claim_and_send_loses_no_email(
    scene, four_alerts
):
    scene.publish()
    with SMTPServer() as smtp:
        worker = scene.worker(smtp, pause_at="alert_emails_queued,claimed,sending")
        try:
            # Killed while queueing the four emails: its transaction dies with it.
            os.kill(scene.paused("alert_emails_queued"), signal.SIGKILL)
            # Killed inside the claim, before its watchdog is saved: both roll back.
            os.kill(scene.paused("claimed"), signal.SIGKILL)
            # Killed after the claim is saved and before sending: the watchdog sends it.
            os.kill(scene.paused("sending"), signal.SIGKILL)
            delivered_once_each(smtp, four_alerts, scene)
        finally:
            kill_group(worker)
    log = scene.log.read_text()
    assert log.count("was killed (SIGKILL); starting another") == 3
    # No task is left RUNNING by a killed worker (the live one may be running a watchdog).
    killed = {scene.paused(point) for point in ("alert_emails_queued", "claimed", "sending")}
    running = "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
    for (worker_ids,) in scene.rows(running):
        last = (json.loads(worker_ids) if isinstance(worker_ids, str) else worker_ids)[-1]
        assert int(last.split(":")[1]) not in killed
    assert scene.rows("SELECT count(*) FROM incidents_draft") == [(0,)]


def test_a_worker_killed_after_sending_sends_again_with_the_same_message_id(scene, four_alerts):
    scene.publish()
    with SMTPServer() as smtp:
        worker = scene.worker(smtp, pause_at="sent")
        try:
            os.kill(scene.paused("sent"), signal.SIGKILL)
            delivered_once_each(smtp, four_alerts, scene, resent=1)
        finally:
            kill_group(worker)


def test_the_whole_worker_killed_is_recovered_by_the_next_one_started(scene, four_alerts):
    scene.publish()
    with SMTPServer() as smtp:
        first = scene.worker(smtp, pause_at="alert_emails_queued", log="first.log")
        scene.paused("alert_emails_queued")
        kill_group(first)  # the supervisor and its db_worker: nothing is left to notice
        assert set(scene.email_states().values()) == {"pending"}
        second = scene.worker(smtp, log="second.log")
        try:
            delivered_once_each(smtp, four_alerts, scene)
        finally:
            kill_group(second)
    assert "Tasks whose worker died: 1 to run again" in scene.log.read_text()


def drop_mid_task(pid):
    """PostgreSQL: the server drops the worker's connection, as a restart does. SQLite has no
    server to restart: the worker is stopped mid-task instead (two SIGTERMs)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    else:
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.2)
        os.kill(pid, signal.SIGTERM)


def test_a_worker_that_exits_mid_task_is_started_again_and_the_email_is_sent(scene, four_alerts):
    scene.publish()
    with SMTPServer() as smtp:
        worker = scene.worker(smtp, pause_at="sending", pause_seconds="3")
        try:
            drop_mid_task(scene.paused("sending"))
            delivered_once_each(smtp, four_alerts, scene)
            assert worker.poll() is None  # the supervisor itself never stopped
        finally:
            kill_group(worker)
    assert "; starting another" in scene.log.read_text()
