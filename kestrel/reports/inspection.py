"""The inspection pack: what an inspector asks the DSL for on the first morning, for a date range,
from live data. Not anonymised (key holders only): the concerns recorded with the DSL (incidents)
and how many went on to children's social care, each referral to children's social care and to
the LADO with a brief resolution, and every pupil with an open social-care case or multi-agency
plan (from the case file's statuses). A fixed number of queries, whatever the range holds."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from kestrel.casefile.models import (
    CHANNEL,
    CHILD_IN_NEED,
    CHILD_PROTECTION_PLAN,
    EARLY_HELP,
    LOOKED_AFTER,
    OPEN_TO_SOCIAL_CARE,
    Referral,
    Status,
)
from kestrel.incidents.models import Category, Incident
from kestrel.reports.governors import key_rank
from kestrel.reports.terms import Period

SOCIAL_CARE = "social_care"
LADO = "lado"
# Open social-care involvement or a multi-agency plan (Working Together 2023): statuses in order.
PLAN_KINDS = [
    CHILD_PROTECTION_PLAN,
    CHILD_IN_NEED,
    LOOKED_AFTER,
    OPEN_TO_SOCIAL_CARE,
    EARLY_HELP,
    CHANNEL,
]
BRIEF = 240  # characters of a referral's outcome shown as its resolution


@dataclass
class ReferralLine:
    referral: Referral
    resolution: str


@dataclass
class PupilLine:
    student: object
    statuses: list[Status]


@dataclass
class InspectionPack:
    period: Period
    concerns: int
    concerns_referred: int
    by_category: list[tuple[str, int]]
    social_care: list[ReferralLine]
    lado: list[ReferralLine]
    pupils: list[PupilLine]


def brief(text: str) -> str:
    """The first words of an outcome, cut at a word: the resolution an inspector reads."""
    text = " ".join(text.split())
    if len(text) <= BRIEF:
        return text
    return text[:BRIEF].rsplit(" ", 1)[0] + "…"


def inspection_pack(viewer, period: Period) -> InspectionPack:
    """The pack for `period` as the viewer's unlocked key opens it (five queries)."""
    rank = key_rank(viewer)
    start, end = period.bounds()
    incidents = Incident.objects.filter(
        occurred_at__gte=start, occurred_at__lt=end, required_rank__lte=rank
    )
    referred = Referral.objects.filter(incident=OuterRef("pk"), target=SOCIAL_CARE)
    totals = incidents.aggregate(
        concerns=Count("id"), referred=Count("id", filter=Q(Exists(referred)))
    )
    through = Incident.categories.through
    counts = dict(
        through.objects.filter(incident__in=incidents.values("pk"), category__parent__isnull=True)
        .values_list("category_id")
        .annotate(n=Count("incident_id"))
    )
    # Every main category (one query even when nothing was counted), those counted kept.
    categories = [
        (category.name, counts[category.pk])
        for category in Category.objects.filter(parent__isnull=True).order_by("position", "name")
        if category.pk in counts
    ]
    referrals = (
        Referral.objects.filter(
            target__in=[SOCIAL_CARE, LADO],
            made_on__gte=period.starts_on,
            made_on__lte=period.ends_on,
            required_rank__lte=rank,
        )
        .select_related("student")
        .order_by("made_on", "id")
    )
    lines = {SOCIAL_CARE: [], LADO: []}
    for referral in referrals:
        lines[referral.target].append(ReferralLine(referral, brief(referral.outcome)))
    return InspectionPack(
        period=period,
        concerns=totals["concerns"],
        concerns_referred=totals["referred"],
        by_category=categories,
        social_care=lines[SOCIAL_CARE],
        lado=lines[LADO],
        pupils=_pupils_with_plans(rank, period.ends_on),
    )


def _pupils_with_plans(rank: int, on: datetime.date) -> list[PupilLine]:
    """Pupils with a status of `PLAN_KINDS` open on the pack's last day, by name."""
    statuses = (
        Status.objects.filter(kind__in=PLAN_KINDS, required_rank__lte=rank, started_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .select_related("student")
        .order_by("student__legal_last_name", "student__legal_first_name", "student_id", "id")
    )
    pupils: dict[int, PupilLine] = {}
    for status in statuses:
        pupils.setdefault(status.student_id, PupilLine(status.student, [])).statuses.append(status)
    return list(pupils.values())
