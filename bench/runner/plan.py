"""Which records each page is driven with, chosen from the seeded data the same way every run."""

import random
from dataclasses import dataclass, field

from django.db.models import Count

from bench.runner.people import People
from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.incidents.models import Action, Category, Incident
from kestrel.students.models import Student

VIEWED = 200  # incidents Viewing Incident rotates over
# Incidents Add Action rotates over, others than those viewed: spread wide, so that no incident
# gathers hundreds of actions over many runs.
FOLLOWED_UP = 5000
STUDENTS_TO_RECORD = 50
PREFIXES = 10
CHRONOLOGY_ENTRIES = 500


@dataclass
class Plan:
    school_id: int
    chronology_student: int
    chronology_entries: int
    incidents_to_view: list[int]
    incidents_for_actions: list[int]
    students_to_record: list[int]
    categories: list[int]
    alert_staff: list[int]
    student_prefixes: list[str]
    staff_prefixes: list[str]
    alerts_to_read: list[int] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def make_plan(school, people: People) -> Plan:
    """Chooses, with a fixed seed, the records the pages use in `school`."""
    chooser = random.Random(20261120)  # noqa: S311 - a repeatable choice, not a secret
    incidents = Incident.objects.filter(school=school)
    # Seeded incidents only: the bench's own Add Incident runs must not change what is viewed.
    seeded = incidents.exclude(reporter__in=people.values())
    per_student = seeded.values("student").annotate(entries=Count("id"))
    # The chronology is a student with 500 entries: the one closest above, since the
    # seed's long tail gives the busiest student far more (or the busiest, in a smaller seed).
    chosen = (
        per_student.filter(entries__gte=CHRONOLOGY_ENTRIES).order_by("entries", "student").first()
        or per_student.order_by("-entries", "student").first()
    )
    if chosen is None:
        raise RuntimeError(f"{school} has no incidents: was it seeded?")
    chronology_student = chosen["student"]
    dsl_rank = people["dsl"].access_level.rank
    visible = list(
        seeded.filter(required_rank__lte=dsl_rank)
        .exclude(student_id=chronology_student)
        .order_by("id")
        .values_list("id", flat=True)
    )
    pool = chooser.sample(visible, min(VIEWED + FOLLOWED_UP, len(visible)))
    students = list(
        Student.objects.filter(school=school)
        .exclude(pk=chronology_student)
        .order_by("id")
        .values_list("id", "legal_last_name")
    )
    staff = list(
        User.objects.filter(school=school, is_active=True)
        .exclude(pk__in=[user.pk for user in people.values()])
        .order_by("id")
        .values_list("id", "last_name", "is_key_holder")
    )
    # Add Incident alerts colleagues who are not key holders: alerts to the DSL team would pile
    # up, unread, on the DSL Dashboard run after run.
    alerted = [pk for pk, _, key_holder in staff if not key_holder][:4]
    if len(alerted) < 4:
        raise RuntimeError(f"{school} has fewer than 4 colleagues to alert: was it seeded?")
    category = (
        Category.objects.filter(school=school, is_active=True, parent__isnull=True)
        .order_by("access_level__rank", "position", "id")
        .first()
    )
    if category is None:
        raise RuntimeError(f"{school} has no categories: was it seeded?")
    recorded = chooser.sample(students, min(STUDENTS_TO_RECORD, len(students)))
    return Plan(
        school_id=school.pk,
        chronology_student=chronology_student,
        chronology_entries=chosen["entries"],
        incidents_to_view=pool[:VIEWED],
        incidents_for_actions=pool[VIEWED:] or pool[:VIEWED],
        students_to_record=[pk for pk, _ in recorded],
        categories=[category.pk],
        alert_staff=alerted,
        student_prefixes=prefixes(chooser, [name for _, name in students]),
        staff_prefixes=prefixes(chooser, [name for _, name, _ in staff]),
        counts={
            "students": len(students) + 1,
            "incidents": incidents.count(),
            "staff": len(staff) + len(people),
        },
    )


def prefixes(chooser: random.Random, names: list[str]) -> list[str]:
    """What someone types into a type-ahead: the first three letters of names that exist."""
    typed = sorted({name[:3].lower() for name in names if len(name) >= 2})
    return chooser.sample(typed, min(PREFIXES, len(typed)))


def unread_alerts_of(user) -> list[int]:
    """The ids of `user`'s unread alerts, oldest first: mark as read uses each one once."""
    return list(
        Alert.objects.filter(recipient=user, read_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def made_rows(people: People) -> dict[str, int]:
    """What the bench's POSTs record, counted before and after each run (see Page.effects)."""
    return {
        "incidents": Incident.objects.filter(reporter=people["recorder"]).count(),
        "alerts_sent": Alert.objects.filter(sender=people["recorder"]).count(),
        "actions": Action.objects.filter(author=people["deputy"]).count(),
        "alerts_read": Alert.objects.filter(
            recipient=people["reader"], read_at__isnull=False
        ).count(),
    }
