"""The case files the bench's pages read (issue 21): the chronology's student with a case file
of their own (statuses, a risk level, referrals, and decisions through the years, which the
chronology shows among the incidents), and open cases enough for a full page of the Caseload.
Written through the case file's services by the bench's DSL, once: a database that has them is
left as it is."""

import datetime

from django.utils import timezone

from kestrel.casefile import services
from kestrel.casefile.models import Case
from kestrel.incidents.models import Incident
from kestrel.students.models import Student

# Open cases on the Caseload: more than its page of 50.
OPEN_CASES = 120
# Decisions on the chronology's student's file, spread over the years of their incidents.
DECISIONS = 60


def give_case_files(school, people, plan) -> int:
    """Adds what is missing; returns the school's open cases."""
    dsl = people["dsl"]
    student = Student.objects.get(pk=plan.chronology_student)
    if not Case.objects.filter(student=student).exists():
        _chronology_students_file(dsl, student)
    missing = OPEN_CASES - Case.objects.filter(school=school, closed_on__isnull=True).count()
    if missing > 0:
        others = (
            Student.objects.filter(school=school, on_roll=True)
            .exclude(pk__in=Case.objects.filter(school=school).values("student"))
            .order_by("pk")[:missing]
        )
        for number, child in enumerate(others):
            _open_case(dsl, child, number)
    return Case.objects.filter(school=school, closed_on__isnull=True).count()


def _chronology_students_file(dsl, student) -> None:
    today = timezone.localdate()
    first = (
        Incident.objects.filter(student=student).order_by("occurred_at").first().occurred_at.date()
    )
    span = max((today - first).days, DECISIONS)
    services.start_status(
        actor=dsl,
        student=student,
        kind="child_protection_plan",
        plan_category="multiple",
        started_on=today - datetime.timedelta(days=200),
    )
    services.set_risk(
        actor=dsl, student=student, level="High", reason="Bench: many concerns.", set_on=today
    )
    for number in range(DECISIONS):
        services.record_decision(
            actor=dsl,
            student=student,
            kind="monitor",
            reason=f"Bench: decision {number + 1} of the file.",
            decided_on=first + datetime.timedelta(days=span * number // DECISIONS),
        )
    _referral(dsl, student, today - datetime.timedelta(days=9), answered=False)


def _open_case(dsl, child, number: int) -> None:
    today = timezone.localdate()
    services.start_status(
        actor=dsl,
        student=child,
        kind=("child_in_need", "early_help", "young_carer")[number % 3],
        started_on=today - datetime.timedelta(days=30 + number),
    )
    services.set_risk(
        actor=dsl,
        student=child,
        level=("Low", "Medium", "High")[number % 3],
        reason="Bench: set when the case opened.",
        set_on=today - datetime.timedelta(days=30),
    )
    _referral(dsl, child, today - datetime.timedelta(days=10), answered=number % 2 == 0)


def _referral(dsl, child, made_on: datetime.date, *, answered: bool) -> None:
    referral = services.make_referral(
        actor=dsl,
        student=child,
        target="social_care",
        to_label="Children’s social care",
        made_on=made_on,
        made_by=dsl,
        reason="Bench: a referral.",
        feedback_due_on=made_on + datetime.timedelta(days=5),
    )
    if answered:
        services.record_referral_outcome(
            actor=dsl,
            referral=referral,
            outcome="Bench: feedback received.",
            outcome_on=made_on + datetime.timedelta(days=4),
        )
