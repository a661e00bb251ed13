"""Training emails, sent by the task worker, never inside a request. They name no child."""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from kestrel.accounts.models import User
from kestrel.mail import header_safe
from kestrel.schools.models import School
from kestrel.schools.scope import in_school_of, scope
from kestrel.training.due import DUE_SOON, OVERDUE
from kestrel.training.models import Reminder
from kestrel.training.selectors import compliance


@task
def send_training_reminder(staff_id: int, reminder_ids: list[int]) -> None:
    """Tells a member of staff which of their training is overdue or due soon. Nothing for an
    account deactivated since."""
    with in_school_of(User, staff_id):
        staff = User.objects.select_related("school").filter(pk=staff_id, is_active=True).first()
        if staff is None:
            return
        reminders = list(
            Reminder.objects.filter(pk__in=reminder_ids, staff=staff)
            .select_related("requirement")
            .order_by("due_on")
        )
        if not reminders:
            return
        context = {
            "staff": staff,
            "school": staff.school,
            "overdue": [r for r in reminders if r.stage == OVERDUE],
            "due_soon": [r for r in reminders if r.stage == DUE_SOON],
            "link": settings.SITE_URL + reverse("accounts:settings") + "#training",
        }
        send_mail(
            subject=f"Your safeguarding training at {header_safe(staff.school.name)}",
            message=render_to_string("training/email/reminder.txt", context),
            from_email=None,
            recipient_list=[staff.email],
        )


@task
def send_training_summary(school_id: int, day: str) -> None:
    """Tells the school's administrators and DSL team how many staff have training overdue or
    due soon (counts only), with a link to the lists."""
    with scope(school=school_id):
        school = School.objects.filter(pk=school_id).first()
        if school is None:
            return
        tally = compliance(school, today=datetime.date.fromisoformat(day)).tally()
        recipients = list(
            User.objects.filter(school=school, is_active=True)
            .filter(Q(is_school_admin=True) | Q(is_key_holder=True))
            .values_list("email", flat=True)
        )
        if not recipients or not (tally.overdue or tally.due_soon):
            return
        context = {
            "school": school,
            "tally": tally,
            "link": settings.SITE_URL + reverse("training_pages:overview"),
        }
        send_mail(
            subject=f"Staff training at {header_safe(school.name)}: {tally.overdue} overdue, "
            f"{tally.due_soon} due soon",
            message=render_to_string("training/email/summary.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
