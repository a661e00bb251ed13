"""The daily reminder round: each member of staff is emailed about training due soon or
overdue, once per due date and stage (whoever runs the round, however often); not deactivated
staff; the administrators and DSL team get a weekly summary; no email names a child."""

import datetime

import pytest
from django.conf import settings
from django.core import mail

from kestrel.audit.models import AuditEvent
from kestrel.testing.factories import RequirementFactory, TrainingRecordFactory, UserFactory
from kestrel.training.models import JoiningDate, Reminder
from kestrel.training.reminders import send_training_reminders

MONDAY = datetime.date(2026, 11, 16)


@pytest.fixture
def update(school):
    return RequirementFactory(school=school, name="Safeguarding update", renewal_months=12)


@pytest.fixture
def staff(school, people, update):
    """The teacher overdue (did it 13 months ago); the DSL due in 10 days; the administrator
    up to date."""
    for person in (people.teacher, people.dsl, people.admin):
        JoiningDate.objects.create(school=school, staff=person, joined_on=datetime.date(2015, 9, 1))
    TrainingRecordFactory(
        requirement=update, staff=people.teacher, completed_on=datetime.date(2025, 10, 16)
    )
    TrainingRecordFactory(
        requirement=update, staff=people.dsl, completed_on=datetime.date(2025, 11, 26)
    )
    TrainingRecordFactory(
        requirement=update, staff=people.admin, completed_on=datetime.date(2026, 9, 1)
    )
    return people


def run(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return send_training_reminders(today=day)


def reminders_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_each_member_of_staff_is_reminded_of_their_own_due_training(
    staff, django_capture_on_commit_callbacks
):
    assert run(MONDAY, django_capture_on_commit_callbacks) == "2 training reminders queued"
    (teacher,) = reminders_to("james.carter@example.org")
    assert "Overdue:\n- Safeguarding update: was due on 16 October 2026" in teacher.body
    assert "Due soon" not in teacher.body
    assert f"{settings.SITE_URL}/account/#training" in teacher.body
    (dsl,) = reminders_to("chloe.kelan@example.org")
    assert "Due soon:\n- Safeguarding update: due on 26 November 2026" in dsl.body
    assert teacher.subject == "Your safeguarding training at Ashdown Primary School"
    assert AuditEvent.objects.filter(action="training.reminded").count() == 2


def test_no_reminder_is_sent_twice_for_the_same_due_date(staff, django_capture_on_commit_callbacks):
    run(MONDAY, django_capture_on_commit_callbacks)
    run(MONDAY, django_capture_on_commit_callbacks)  # the worker looks again the same day
    tuesday = MONDAY + datetime.timedelta(days=1)
    assert run(tuesday, django_capture_on_commit_callbacks) == "0 training reminders queued"
    assert len(reminders_to("james.carter@example.org")) == 1
    assert len(reminders_to("chloe.kelan@example.org")) == 1
    assert Reminder.objects.count() == 2


def test_due_soon_then_overdue_is_one_reminder_each(staff, django_capture_on_commit_callbacks):
    run(MONDAY, django_capture_on_commit_callbacks)
    run(datetime.date(2026, 11, 27), django_capture_on_commit_callbacks)  # the day after due
    emails = reminders_to("chloe.kelan@example.org")
    assert len(emails) == 2
    assert "Due soon:" in emails[0].body and "Overdue:" in emails[1].body
    run(datetime.date(2026, 12, 20), django_capture_on_commit_callbacks)
    assert len(reminders_to("chloe.kelan@example.org")) == 2


def test_training_done_again_is_a_new_due_date_reminded_afresh(
    staff, update, django_capture_on_commit_callbacks
):
    run(MONDAY, django_capture_on_commit_callbacks)
    TrainingRecordFactory(
        requirement=update, staff=staff.teacher, completed_on=datetime.date(2025, 11, 20)
    )  # a record found late: now due 20 November 2026, soon
    run(MONDAY + datetime.timedelta(days=1), django_capture_on_commit_callbacks)
    emails = reminders_to("james.carter@example.org")
    assert len(emails) == 2
    assert "due on 20 November 2026" in emails[1].body


def test_deactivated_staff_are_not_reminded(staff, django_capture_on_commit_callbacks):
    staff.teacher.is_active = False
    staff.teacher.save()
    run(MONDAY, django_capture_on_commit_callbacks)
    assert reminders_to("james.carter@example.org") == []


def test_a_reminder_queued_before_deactivation_is_not_sent(
    staff, django_capture_on_commit_callbacks
):
    from kestrel.training.tasks import send_training_reminder

    send_training_reminders(today=MONDAY)  # queued, not yet run
    reminder = Reminder.objects.get(staff=staff.teacher)
    staff.teacher.is_active = False
    staff.teacher.save()
    send_training_reminder.call(staff.teacher.pk, [reminder.pk])
    assert reminders_to("james.carter@example.org") == []


def test_the_weekly_summary_goes_to_administrators_and_the_dsl_team_once_a_week(
    school, staff, django_capture_on_commit_callbacks
):
    deputy = UserFactory(school=school, is_key_holder=True, email="deputy@example.org")
    JoiningDate.objects.create(school=school, staff=deputy, joined_on=datetime.date(2015, 9, 1))
    run(MONDAY, django_capture_on_commit_callbacks)
    (summary,) = [m for m in mail.outbox if m.subject.startswith("Staff training at")]
    assert sorted(summary.to) == sorted(
        ["chloe.kelan@example.org", "office@example.org", "deputy@example.org"]
    )
    assert summary.subject == "Staff training at Ashdown Primary School: 2 overdue, 1 due soon"
    for day in range(1, 7):
        run(MONDAY + datetime.timedelta(days=day), django_capture_on_commit_callbacks)
    assert len([m for m in mail.outbox if m.subject.startswith("Staff training at")]) == 1
    run(MONDAY + datetime.timedelta(days=7), django_capture_on_commit_callbacks)
    assert len([m for m in mail.outbox if m.subject.startswith("Staff training at")]) == 2


def test_the_round_is_a_periodic_job_of_the_worker():
    assert "kestrel.training.reminders.send_training_reminders" in settings.PERIODIC_JOBS
