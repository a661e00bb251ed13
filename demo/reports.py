"""The demo school's term so far, for the governors' report: incidents recorded since the start
of the school year (and over the last school year, for its trend) about children who are not in
the guides' walk-throughs (so their pages and the Dashboard stay as the guides show them), and
the roster's vulnerable groups (SEN, pupil premium, EAL, looked after) on some children, as a
school's MIS import would set them.

Written as the bench writes history (rows and their category links at once, recorded a week and
more ago, with no alerts): nothing here happens in front of anyone."""

import datetime
import random

from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.incidents.models import Category, Incident, snapshot_of
from kestrel.schools.models import School
from kestrel.students.models import Student

# (main category, subcategory or None, how many): a primary school's autumn, roughly.
HISTORY = [
    ("Behaviour", None, 14),
    ("Bullying", None, 9),
    ("Home Issues", None, 8),
    ("Medical Issues", None, 6),
    ("SEND", None, 5),
    ("Child Protection", "Cause for Concern", 3),
    ("Child Protection", "Early Help", 2),
    ("Prevent", None, 1),
]
# Children whose pages the guides walk through, and the demo's case files: left as they are.
KEPT_AS_THEY_ARE = {"Greenwood", "Bradshaw", "Hussain", "O'Brien", "Rahman", "Nowak", "Ellingham"}
# Children shown as looked after (the roster's flag): Zoë's case file has the status too.
LOOKED_AFTER = [("Zoë", "O'Brien")]
TEXT = "Recorded for the demo school's report: see demo/reports.py."


def seed_report_history(school: School, today: datetime.date) -> int:
    """Writes the term so far; returns how many incidents it recorded."""
    rng = random.Random(2026)  # noqa: S311 - repeatable demo data, not a secret
    children = list(
        Student.objects.filter(school=school, on_roll=True)
        .exclude(legal_last_name__in=KEPT_AS_THEY_ARE)
        .order_by("pk")
    )
    _mark_vulnerable_groups(school, children, rng)
    staff = list(
        User.objects.filter(school=school, access_level__isnull=False, is_active=True).order_by(
            "pk"
        )
    )
    categories = {
        (c.parent.name if c.parent_id else c.name, c.name if c.parent_id else None): c
        for c in Category.objects.filter(school=school).select_related("parent", "access_level")
    }
    start = datetime.date(today.year if today.month >= 8 else today.year - 1, 8, 1)
    last = today - datetime.timedelta(days=8)  # a week and more ago: in no one's My History
    if last < start:
        return 0
    zone = timezone.get_current_timezone()
    rows, chosen = [], []
    # This school year so far, then last school year (twice as many, over its three terms) so
    # that the report's trend has terms to compare.
    last_year = (datetime.date(start.year - 1, 8, 1), datetime.date(start.year, 7, 20))
    periods = [((start, last), HISTORY), (last_year, [(m, s, n * 2) for m, s, n in HISTORY])]
    for (first, final), history in periods:
        _history(rng, history, first, final, zone, categories, staff, children, rows, chosen)
    made = Incident.objects.bulk_create(rows)
    through = Incident.categories.through
    through.objects.bulk_create(
        through(incident_id=incident.pk, category_id=category.pk)
        for incident, filed in zip(made, chosen, strict=True)
        for category in filed
    )
    return len(made)


def _history(rng, history, start, last, zone, categories, staff, children, rows, chosen):
    """Incidents of `history` on days from `start` to `last`, added to `rows` (and their
    categories to `chosen`)."""
    for main, sub, how_many in history:
        filed = [categories[(main, None)]] + ([categories[(main, sub)]] if sub else [])
        for _ in range(how_many):
            day = start + datetime.timedelta(days=rng.randrange((last - start).days + 1))
            moment = datetime.datetime.combine(day, datetime.time(rng.randrange(9, 15)), zone)
            reporter = rng.choice(staff)
            child = rng.choice(children)
            rows.append(
                Incident(
                    school_id=child.school_id,
                    student=child,
                    reporter=reporter,
                    text=TEXT,
                    occurred_at=moment,
                    recorded_at=moment + datetime.timedelta(hours=1),
                    required_rank=max(c.access_level.rank for c in filed),
                    snapshot=snapshot_of(categories=filed, author=reporter),
                )
            )
            chosen.append(filed)


def _mark_vulnerable_groups(school, children: list[Student], rng: random.Random) -> None:
    for child in children:
        roll = rng.random()
        child.sen_status = "E" if roll < 0.02 else "K" if roll < 0.14 else ""
        child.pupil_premium = rng.random() < 0.22
        child.free_school_meals = child.pupil_premium and rng.random() < 0.8
        child.eal = rng.random() < 0.15
    Student.objects.bulk_update(
        children, ["sen_status", "pupil_premium", "free_school_meals", "eal"]
    )
    for first, last in LOOKED_AFTER:
        Student.objects.filter(school=school, legal_first_name=first, legal_last_name=last).update(
            looked_after=True
        )
