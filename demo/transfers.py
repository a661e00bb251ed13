"""The demo school's transfers: a child who left three school days ago for Brook Academy, whose
file is due there, and a child who left last half term and whose file went on paper with no
receipt yet (so the Dashboard shows one "Chase"). Written through the services, as a DSL would."""

import datetime

from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.incidents.models import Category
from kestrel.incidents.services import add_incident
from kestrel.school_calendar.days import calendar_for
from kestrel.schools.models import School
from kestrel.students.models import Student
from kestrel.students.upn import make_upn
from kestrel.transfers import services
from kestrel.transfers.models import Destination, Route, Transfer

DEMO_URN = "100001"
LA_CODE, ESTABLISHMENT = 886, 2417  # as demo.school's


def seed_transfers(school: School, today: datetime.date) -> None:
    School.objects.filter(pk=school.pk).update(urn=DEMO_URN)
    chloe = User.objects.get(school=school, email__startswith="chloe.kelan@")
    category = {c.name: c for c in Category.objects.filter(school=school, parent__isnull=True)}
    calendar = calendar_for(school)

    def school_days_ago(days: int) -> datetime.date:
        day = today
        while days:
            day -= datetime.timedelta(days=1)
            if calendar.is_school_day(day):
                days -= 1
        return day

    # Leavers keep no registration group (as the roster import leaves them).
    leavers = [
        ("Kacper", "Nowak", 6, 3, "Brook Academy", "dsl@brook.example"),
        ("Ruby", "Ellingham", 5, 12, "Hillside Primary", "dsl@hillside.example"),
    ]
    for serial, (first, last, year, days, destination, email) in enumerate(leavers, 900):
        left_on = school_days_ago(days)
        child = Student.objects.create(
            school=school,
            upn=make_upn(LA_CODE, ESTABLISHMENT, today.year - year - 1, serial),
            legal_first_name=first,
            legal_last_name=last,
            date_of_birth=today.replace(year=today.year - year - 5) - datetime.timedelta(days=40),
            year_group=year,
            on_roll=False,
            left_on=left_on,
        )
        occurred = timezone.make_aware(
            datetime.datetime.combine(left_on - datetime.timedelta(days=20), datetime.time(10))
        )
        add_incident(
            actor=chloe,
            student=child,
            text=f"{first} arrived with bruising to the upper arm and said it happened at home. "
            "Body map completed; Children's Social Care consulted, advice to monitor.",
            categories=[category["Child Protection"]],
            occurred_at=occurred,
            recorded_at=occurred + datetime.timedelta(hours=1),
        )
        services.mark_left(
            actor=chloe,
            student=child,
            left_on=left_on,
            destination=Destination.SCHOOL,
            details={"destination_name": destination, "destination_email": email},
        )
    # Ruby's file went on paper 6 school days after she left: no slip has come back.
    ruby = Transfer.objects.get(student__legal_first_name="Ruby", student__school=school)
    services.record_sent(transfer=ruby, actor=chloe, route=Route.PAPER, how="By hand")
    sent = school_days_ago(6)
    Transfer.objects.filter(pk=ruby.pk).update(
        sent_at=timezone.make_aware(datetime.datetime.combine(sent, datetime.time(15))),
        chase_on=calendar.school_days_after(sent, services.CHASE_SCHOOL_DAYS),
    )
