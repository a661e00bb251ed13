"""The alert sweep and task recovery (periodic jobs of `manage.py worker`), in one process: no
alert email is left without a task, and a task whose worker died runs again. The same faults
with real processes killed: kestrel/ops/tests/test_worker_faults.py."""

import datetime
import os

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kestrel.alerts.sweep import sweep_alerts
from kestrel.alerts.tasks import send_alert_email, send_alert_emails, watchdog_delay
from kestrel.audit.models import AuditEvent
from kestrel.ops.worker import HOST, recover_tasks
from kestrel.testing.factories import (
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
    UserFactory,
)

AGO = datetime.timedelta(minutes=3)  # past the sweep's bound of 2 minutes


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def alert(school, people, **fields):
    incident = IncidentFactory(school=school, reporter=people.teacher)
    return AlertFactory(incident=incident, **{"created_at": timezone.now() - AGO, **fields})


def queued_for(alert_id):
    return [
        task
        for task in DBTaskResult.objects.filter(task_path="kestrel.alerts.tasks.send_alert_email")
        if task.args_kwargs["args"] == [alert_id]
    ]


def test_an_alert_email_left_without_a_task_is_queued_again(school, people, queue):
    lost = alert(school, people)
    assert sweep_alerts() == "1 alert emails queued again"
    assert len(queued_for(lost.pk)) == 1
    assert sweep_alerts() == "0 alert emails queued again"  # now it has one: never twice


def test_a_new_alert_or_one_with_a_task_waiting_is_left_alone(school, people, queue):
    fresh = alert(school, people, created_at=timezone.now())
    waiting = alert(school, people)
    queued = alert(school, people)
    send_alert_emails.enqueue([waiting.pk])
    send_alert_email.enqueue(queued.pk)
    sent = alert(school, people, email_status="sent")
    failed = alert(school, people, email_status="failed")
    assert sweep_alerts() == "0 alert emails queued again"
    assert not queued_for(fresh.pk) and not queued_for(sent.pk) and not queued_for(failed.pk)


def test_a_claimed_email_whose_watchdog_was_lost_is_queued_for_when_the_claim_goes_stale(
    school, people, queue
):
    claimed_at = timezone.now() - AGO
    stuck = alert(school, people, email_status="sending", email_claimed_at=claimed_at)
    sweep_alerts()
    (task,) = queued_for(stuck.pk)
    assert task.run_after == claimed_at + datetime.timedelta(seconds=watchdog_delay())


def running(worker_id, started=None, runs=1):
    task = send_alert_email.enqueue(1)
    row = DBTaskResult.objects.get(pk=task.id)
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=started or timezone.now(), worker_ids=[worker_id] * runs
    )
    return row.pk


def status(pk):
    return DBTaskResult.objects.get(pk=pk).status


def test_a_task_left_running_by_a_worker_that_died_runs_again(db, queue):
    dead = running(f"{HOST}:999999999:deadbeef")  # no such process
    alive = running(f"{HOST}:{os.getpid()}:livelive")
    elsewhere = running("other-machine:1234:abcdefgh")
    assert recover_tasks() == "1 tasks to run again, 0 failed"
    assert (status(dead), status(alive), status(elsewhere)) == ("READY", "RUNNING", "RUNNING")


def test_a_task_running_past_the_bound_on_any_machine_runs_again(db, queue, settings):
    overdue = timezone.now() - datetime.timedelta(seconds=settings.TASK_RUNNING_TIMEOUT_SECONDS + 1)
    pk = running("other-machine:1234:abcdefgh", started=overdue)
    recover_tasks()
    assert status(pk) == "READY"


def test_a_task_whose_workers_keep_dying_is_marked_failed(db, queue, settings):
    pk = running(f"{HOST}:999999999:deadbeef", runs=settings.TASK_MAX_RUNS)
    assert recover_tasks() == "0 tasks to run again, 1 failed"
    assert status(pk) == "FAILED"


def test_a_line_break_in_a_name_does_not_break_the_alert_email(school, people, levels):
    sender = UserFactory(school=school, first_name="Chloe\r\nBcc: x@example.org", last_name="K")
    category = CategoryFactory(school=school, name="Child\nProtection", access_level=levels.dsl)
    incident = IncidentFactory(school=school, reporter=sender, categories=[category])
    lost = AlertFactory(incident=incident, recipient=people.teacher)
    assert send_alert_email.call(lost.pk) == "sent"
    (message,) = mail.outbox
    assert message.subject == (
        "Kestrel: Chloe Bcc: x@example.org K has alerted you (Child Protection)"
    )
    assert message.recipients() == [people.teacher.email]


def test_any_error_in_sending_is_retried_then_listed_for_the_administrator(
    school, people, signed_in
):
    broken = UserFactory(school=school, email="broken\n@example.org", first_name="Brook")
    incident = IncidentFactory(school=school, reporter=people.dsl)
    failing = AlertFactory(incident=incident, recipient=broken)
    send_alert_email.call(failing.pk)  # the immediate backend retries at once
    failing.refresh_from_db()
    assert failing.email_status == "failed" and failing.email_attempts == 5
    assert AuditEvent.objects.filter(action="alert.email_failed").count() == 1
    page = signed_in(people.admin).get("/school/email-problems/").content.decode()
    assert "Brook" in page and "Failed" in page


def test_the_administrator_sees_an_email_not_delivered_after_15_minutes_in_any_state(
    school, people, signed_in, settings, django_capture_on_commit_callbacks
):
    late = timezone.now() - datetime.timedelta(minutes=settings.ALERT_EMAIL_OVERDUE_MINUTES + 1)
    # A surname no colleague made up by the factories can share, so that finding it is a leak.
    student = StudentFactory(school=school, legal_first_name="Ysolde", legal_last_name="Quennell")
    incident = IncidentFactory(school=school, student=student, reporter=people.dsl)
    waiting = AlertFactory(
        incident=incident, created_at=late, recipient=UserFactory(school=school, first_name="Wes")
    )
    AlertFactory(
        incident=incident,
        created_at=late,
        email_status="sending",
        recipient=UserFactory(school=school, first_name="Sandy"),
    )
    AlertFactory(incident=incident, recipient=UserFactory(school=school, first_name="Newton"))
    client = signed_in(people.admin)
    page = client.get("/school/email-problems/").content.decode()
    assert "Wes" in page and "Waiting to be sent" in page
    assert "Sandy" in page and "Being sent" in page
    assert "Newton" not in page  # created just now: Kestrel is still on it
    assert "16\xa0minutes ago" in page  # timesince keeps the number with its unit
    assert incident.student.legal_last_name not in page  # no child's details
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/school/email-problems/{waiting.pk}/retry/")
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.email_status == "sent"  # the immediate backend sent it
