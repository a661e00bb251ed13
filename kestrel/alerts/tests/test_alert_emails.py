"""Alert emails: sent by the worker after commit, only who and which category, never twice."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from kestrel.alerts.models import Alert
from kestrel.alerts.tasks import send_alert_email
from kestrel.audit.models import AuditEvent
from kestrel.environment import email_from_url
from kestrel.incidents.models import Incident
from kestrel.incidents.services import add_incident
from kestrel.testing.factories import CategoryFactory, StudentFactory, UserFactory
from kestrel.testing.smtp import SMTPServer

TEXT = "Mr Greenwood was seen at the gate. Hannah was upset and cried in class."


@pytest.fixture
def guide(school, levels, people):
    hannah = StudentFactory(school=school, legal_first_name="Hannah", legal_last_name="Greenwood")
    category = CategoryFactory(school=school, name="Child Protection", access_level=levels.dsl)
    return hannah, category


def record(people, hannah, category, recipients):
    return add_incident(
        actor=people.dsl,
        student=hannah,
        text=TEXT,
        categories=[category],
        occurred_at=timezone.now() - datetime.timedelta(minutes=10),
        alert_recipients=recipients,
    )


def test_each_alerted_colleague_gets_one_email_with_only_who_and_which_category(
    guide, people, django_capture_on_commit_callbacks
):
    hannah, category = guide
    with django_capture_on_commit_callbacks(execute=True):
        record(people, hannah, category, [people.teacher, people.admin])
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [people.admin.email, people.teacher.email]
    )
    message = mail.outbox[0]
    content = message.subject + message.body
    assert "Chloe Kelan" in content and "Child Protection" in content
    assert "http://testserver/login/" in message.body
    for secret in ("Hannah", "Greenwood", "gate", "upset"):
        assert secret not in content
    assert set(Alert.objects.values_list("email_status", flat=True)) == {"sent"}


def test_no_email_is_sent_inside_the_request_or_before_the_transaction_commits(
    guide, people, django_capture_on_commit_callbacks
):
    hannah, category = guide
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record(people, hannah, category, [people.teacher])
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_a_rolled_back_incident_sends_no_email(guide, people, transactional_db):
    hannah, category = guide
    with pytest.raises(RuntimeError), transaction.atomic():
        record(people, hannah, category, [people.teacher])
        raise RuntimeError("something later in the same transaction failed")
    assert Incident.objects.count() == 0
    assert mail.outbox == []


def test_an_email_already_sent_is_never_sent_again(
    guide, people, django_capture_on_commit_callbacks
):
    hannah, category = guide
    with django_capture_on_commit_callbacks(execute=True):
        record(people, hannah, category, [people.teacher])
    alert = Alert.objects.get()
    assert send_alert_email.call(alert.pk) == "not claimed"
    assert len(mail.outbox) == 1


@pytest.fixture
def worker_settings(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.ALERT_EMAIL_BACKOFF_SECONDS = [0, 0, 0]
    return settings


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def test_a_refusing_smtp_server_gets_the_email_once_it_accepts(
    guide, people, transactional_db, worker_settings
):
    hannah, category = guide
    with SMTPServer(refuse_first=2) as smtp:
        worker_settings.MAILERS = {"default": email_from_url(smtp.url)}
        record(people, hannah, category, [people.teacher])
        for _ in range(4):
            run_worker()
        alert = Alert.objects.get()
        assert (alert.email_status, alert.email_attempts) == ("sent", 3)
        assert len(smtp.delivered()) == 1


def test_a_server_that_hangs_up_gets_the_email_once_it_stays_on_the_line(
    guide, people, transactional_db, worker_settings
):
    hannah, category = guide
    with SMTPServer(drop_first=2) as smtp:
        worker_settings.MAILERS = {"default": email_from_url(smtp.url)}
        record(people, hannah, category, [people.teacher, people.admin])
        for _ in range(5):
            run_worker()
        assert set(Alert.objects.values_list("email_status", flat=True)) == {"sent"}
        assert len(smtp.delivered()) == 2
        assert len(smtp.inbox) == 2  # each arrived exactly once


def test_a_worker_killed_after_sending_does_not_make_a_second_message(
    guide, people, transactional_db, worker_settings
):
    hannah, category = guide
    with SMTPServer() as smtp:
        worker_settings.MAILERS = {"default": email_from_url(smtp.url)}
        record(people, hannah, category, [people.teacher])
        run_worker()
        # The worker "dies" after sending, before recording: the claim is left behind, stale.
        Alert.objects.update(
            email_status="sending", email_claimed_at=timezone.now() - datetime.timedelta(hours=1)
        )
        alert = Alert.objects.get()
        send_alert_email.call(alert.pk)  # the watchdog run finds the stale claim
        assert len(smtp.inbox) == 2  # sent again: the server cannot know
        assert len(smtp.delivered()) == 1  # but with the same Message-ID: one message
        assert Alert.objects.get().email_status == "sent"


def test_after_the_last_retry_the_failure_is_recorded_for_the_administrator(
    guide, people, transactional_db, worker_settings, signed_in
):
    hannah, category = guide
    with SMTPServer(refuse_first=100) as smtp:
        worker_settings.MAILERS = {"default": email_from_url(smtp.url)}
        record(people, hannah, category, [people.teacher])
        for _ in range(5):
            run_worker()
    alert = Alert.objects.get()
    assert (alert.email_status, alert.email_attempts) == ("failed", 4)
    assert "SMTPDataError" in alert.email_error
    assert AuditEvent.objects.filter(action="alert.email_failed").count() == 1
    page = signed_in(people.admin).get("/school/email-problems/").content.decode()
    assert people.teacher.full_name in page and "SMTPDataError" in page
    assert "Greenwood" not in page


def test_a_deactivated_colleague_is_not_alerted(guide, people, school):
    hannah, category = guide
    gone = UserFactory(school=school, is_active=False)
    record(people, hannah, category, [gone, people.teacher])
    assert list(Alert.objects.values_list("recipient", flat=True)) == [people.teacher.pk]
