"""The worker's daily training reminders (settings.PERIODIC_JOBS): each member of staff is
emailed about their training due soon and overdue, once per due date and stage; the school's
administrators and DSL team get a summary once a week while anything is overdue or due soon.

The worker looks every minute or so; each school's round runs once a day (a ReminderRound row,
unique per school and day, is the claim), and each reminder is a row unique per member of
staff, requirement, due date and stage, so no email is sent twice whoever runs the round. The
emails name no child."""

import datetime

from django.db import transaction
from django.utils import timezone

from kestrel.audit.services import record, recorded_together
from kestrel.schools.models import School
from kestrel.schools.scope import scope, scopes_disabled
from kestrel.tasks import enqueue_with_transaction
from kestrel.training.due import DUE_SOON, OVERDUE
from kestrel.training.models import Reminder, ReminderRound
from kestrel.training.selectors import compliance


def send_training_reminders(today: datetime.date | None = None) -> str:
    """Runs each school's reminder round for today, if it has not run yet."""
    today = today or timezone.localdate()
    with scopes_disabled():
        schools = list(School.objects.order_by("pk"))
    sent = 0
    for school in schools:
        with scope(school=school.pk):
            sent += remind_school(school, today)
    return f"{sent} training reminders queued"


def remind_school(school: School, today: datetime.date) -> int:
    """One school's round: the reminders not sent before, queued as one email per member of
    staff; the weekly summary on the first round of the week. Returns the reminders queued."""
    from kestrel.training.tasks import send_training_reminder, send_training_summary

    with transaction.atomic():
        _, first_today = ReminderRound.objects.get_or_create(school=school, key=today.isoformat())
        if not first_today:
            return 0
        standings = [
            s for s in compliance(school, today=today).standings if s.state in (DUE_SOON, OVERDUE)
        ]
        sent_before = set(
            Reminder.objects.filter(
                school=school, due_on__in={s.due_on for s in standings}
            ).values_list("staff_id", "requirement_id", "due_on", "stage")
        )
        new = [
            Reminder(
                school=school,
                staff=s.staff,
                requirement=s.requirement,
                due_on=s.due_on,
                stage=s.state,
            )
            for s in standings
            if (s.staff.pk, s.requirement.pk, s.due_on, s.state) not in sent_before
        ]
        Reminder.objects.bulk_create(new)
        by_staff: dict[int, list[Reminder]] = {}
        for reminder in new:
            by_staff.setdefault(reminder.staff_id, []).append(reminder)
        with recorded_together():
            for staff_id, reminders in by_staff.items():
                record(
                    action="training.reminded",
                    school=school,
                    obj=reminders[0].staff,
                    detail={
                        "overdue": sum(r.stage == OVERDUE for r in reminders),
                        "due_soon": sum(r.stage == DUE_SOON for r in reminders),
                    },
                )
                enqueue_with_transaction(
                    send_training_reminder, staff_id, [r.pk for r in reminders]
                )
        year, week, _ = today.isocalendar()
        _, first_this_week = ReminderRound.objects.get_or_create(
            school=school, key=f"week-{year}-{week:02d}"
        )
        if first_this_week and standings:
            record(action="training.summary_sent", school=school, obj=school)
            enqueue_with_transaction(send_training_summary, school.pk, today.isoformat())
    return len(new)
