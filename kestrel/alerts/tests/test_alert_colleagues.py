"""Alerts own alerting: Add Incident, Add Action and "Send again" make alerts and queue their
emails through one service (`alerts.services.alert_colleagues`, `send_again`) and one route
(`alerts.tasks.queue_alert_emails`: one `send_alert_emails` task row per request)."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kestrel.alerts import services
from kestrel.alerts.models import Alert
from kestrel.alerts.tasks import send_alert_emails
from kestrel.audit.models import AuditEvent
from kestrel.audit.services import record, recorded_together
from kestrel.incidents.models import Draft, Incident
from kestrel.incidents.services import add_incident
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
    UserFactory,
)


@pytest.fixture
def queue(settings):
    """The database task queue, as in production: what the request leaves for the worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def route(monkeypatch):
    """The one route, watched: the alert ids of each call, as it is called."""
    calls = []
    real = services.queue_alert_emails

    def watched(alert_ids, then=None):
        calls.append(sorted(alert_ids))
        return real(alert_ids, then=then)

    monkeypatch.setattr(services, "queue_alert_emails", watched)
    return calls


def queued() -> list[str]:
    return list(DBTaskResult.objects.order_by("pk").values_list("task_path", flat=True))


def when() -> dict:
    now = timezone.localtime() - datetime.timedelta(minutes=5)
    return {
        "occurred_on_0": now.day,
        "occurred_on_1": now.month,
        "occurred_on_2": now.year,
        "occurred_time": now.strftime("%H:%M"),
    }


def test_add_incident_alerts_through_the_one_route(school, people, signed_in, queue, route):
    four = [UserFactory(school=school) for _ in range(4)]
    category = CategoryFactory(school=school, access_level=people.teacher.access_level)
    response = signed_in(people.teacher).post(
        "/incidents/add/",
        {
            "submission": "a" * 32,
            "student": StudentFactory(school=school).pk,
            "text": "Said something worrying.",
            "categories": [category.pk],
            "alert_staff": [user.pk for user in four],
            **when(),
        },
    )
    assert response.status_code == 302
    alerts = Alert.objects.filter(recipient__in=four)
    assert route == [sorted(alerts.values_list("pk", flat=True))]
    assert queued() == ["kestrel.alerts.tasks.send_alert_emails"]


def test_add_action_alerts_through_the_one_route(school, people, signed_in, queue, route):
    incident = IncidentFactory(school=school, reporter=people.dsl)
    colleague = UserFactory(school=school)
    response = unlock_key(signed_in(people.dsl)).post(
        f"/incidents/{incident.pk}/actions/add/",
        {
            "submission": "c" * 32,
            "text": "Phoned mum.",
            "alert_staff": [colleague.pk],
            **when(),
        },
    )
    assert response.status_code == 302
    (alert,) = Alert.objects.filter(recipient=colleague, action__isnull=False)
    assert route == [[alert.pk]]
    assert queued() == ["kestrel.alerts.tasks.send_alert_emails"]  # one alert: the same route


def test_send_again_goes_through_the_one_route_and_resets_the_email(
    school, people, signed_in, queue, route
):
    incident = IncidentFactory(school=school, reporter=people.dsl)
    failed = AlertFactory(
        incident=incident, email_status="failed", email_attempts=5, email_error="SMTPError: no"
    )
    response = signed_in(people.admin).post(f"/school/email-problems/{failed.pk}/retry/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.email_status, failed.email_attempts, failed.email_error) == ("pending", 0, "")
    assert route == [[failed.pk]]
    assert queued() == ["kestrel.alerts.tasks.send_alert_emails"]
    (retried,) = AuditEvent.objects.filter(action="alert.email_retried")
    assert (retried.actor, retried.object_id) == (people.admin, str(failed.recipient_id))


def adding(people, school, **fields) -> Incident:
    return add_incident(
        actor=people.teacher,
        student=StudentFactory(school=school),
        text="Said something worrying.",
        categories=[CategoryFactory(school=school, access_level=people.teacher.access_level)],
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        **fields,
    )


def test_the_alerts_events_and_the_incidents_are_written_together_in_order(people, school):
    incident = adding(people, school, alert_recipients=[people.dsl, people.admin])
    events = list(AuditEvent.objects.filter(school=school).order_by("id"))
    assert [event.action for event in events] == ["alert.sent", "alert.sent", "incident.added"]
    assert {event.detail["recipient"] for event in events[:2]} == {people.dsl.pk, people.admin.pk}
    assert events[2].detail["alerted"] == 2 and events[2].object_id == str(incident.pk)


def test_the_draft_is_removed_by_the_worker_with_the_emails_from_one_task_row(
    people, school, queue
):
    Draft.objects.create(school=school, author=people.teacher, submission="d" * 32)
    adding(
        people,
        school,
        alert_recipients=[people.dsl],
        submission_key=f"{people.teacher.pk}:{'d' * 32}",
        draft="d" * 32,
    )
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "kestrel.alerts.tasks.send_alert_emails"
    assert Draft.objects.exists()  # the request leaves it to the worker
    assert send_alert_emails.call(*task.args_kwargs["args"]).endswith("1 draft removed")
    assert not Draft.objects.exists()
    assert "kestrel.alerts.tasks.send_alert_email" in queued()  # the alert's own task


def test_with_nobody_alerted_the_draft_is_removed_by_a_task_of_its_own(people, school, queue):
    Draft.objects.create(school=school, author=people.teacher, submission="e" * 32)
    adding(people, school, submission_key=f"{people.teacher.pk}:{'e' * 32}", draft="e" * 32)
    assert queued() == ["kestrel.incidents.tasks.remove_draft"]


def test_the_emails_task_runs_nothing_but_a_task_after_them(people, school):
    with pytest.raises(TypeError, match="is not a task"):
        send_alert_emails.call([], ["kestrel.audit.services.record", []])


def test_events_recorded_together_are_not_written_when_the_block_fails(people, school):
    with pytest.raises(RuntimeError), recorded_together():
        record(action="alert.sent", actor=people.dsl)
        assert not AuditEvent.objects.exists()  # waiting for the end of the block
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()
    with recorded_together():
        record(action="first", actor=people.dsl)
        with recorded_together():
            record(action="second", actor=people.dsl)
        record(action="third", actor=people.dsl)
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "first",
        "second",
        "third",
    ]
