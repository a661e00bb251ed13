"""Reading a child's case file, the chronology's case-file entries, and the DSL team's lists
(caseload, awaiting feedback, reviews due). Everything is for key holders with their key
unlocked, and a record made on an incident only for those whose key opens that incident."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kestrel.access.policies import Viewer
from kestrel.alerts.models import Alert
from kestrel.casefile.models import (
    DEFAULT_RISK_LEVELS,
    Case,
    CaseEvent,
    Decision,
    Referral,
    Review,
    RiskAssessment,
    RiskLevel,
    Sharing,
    Status,
    StatusKind,
)
from kestrel.schools.models import Agency

RECORD_MODELS = {
    model._meta.model_name: model
    for model in (Case, Status, RiskAssessment, Referral, Decision, Sharing, Review)
}


def risk_levels(school_id: int) -> list[str]:
    """The school's risk levels, lowest first: its own, or Low, Medium and High."""
    names = list(
        RiskLevel.objects.filter(school_id=school_id, is_active=True).values_list("name", flat=True)
    )
    return names or list(DEFAULT_RISK_LEVELS)


def agencies_to_refer_to() -> list[Agency]:
    """The school's agencies in use, offered besides the usual ones a referral is made to."""
    return list(Agency.objects.filter(is_active=True))


def school_statuses(school_id: int) -> list[StatusKind]:
    return list(StatusKind.objects.filter(school_id=school_id, is_active=True))


def _rank(viewer: Viewer) -> int:
    """The rank the viewer's unlocked key opens; -1 when it opens nothing."""
    if viewer.key_unlocked and viewer.key_rank is not None:
        return viewer.key_rank
    return -1


def _seen(rows: QuerySet, viewer: Viewer) -> QuerySet:
    return rows.filter(required_rank__lte=_rank(viewer))


@dataclass
class CaseFile:
    """What the student's page shows above the chronology."""

    case: Case | None
    earlier_cases: list[Case]
    open_statuses: list[Status]
    ended_statuses: list[Status]
    risk: RiskAssessment | None
    risk_history: list[RiskAssessment]
    open_referrals: list[Referral]
    answered_referrals: list[Referral]
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def review_overdue(self) -> bool:
        return bool(
            self.case and self.case.next_review_on and self.case.next_review_on < self.today
        )

    @property
    def overdue_referrals(self) -> int:
        return sum(1 for referral in self.open_referrals if referral.feedback_due_on < self.today)

    @property
    def warnings(self) -> list[str]:
        """What the DSL should put right: a child in care with no virtual school head."""
        return [
            f"No virtual school head is recorded for {status.label}: every looked-after and "
            "previously looked-after child has one (the Children and Families Act 2014)."
            for status in self.open_statuses
            if status.needs_virtual_school_head
        ]


def case_file(viewer: Viewer, student) -> CaseFile:
    """The student's case file as the viewer may see it, in four queries."""
    last = Review.objects.filter(case=OuterRef("pk")).order_by("-reviewed_on", "-id")
    cases = list(
        Case.objects.filter(student=student)
        .annotate(
            last_review_on=Subquery(last.values("reviewed_on")[:1]),
            last_review_by=Subquery(last.values("author_name")[:1]),
        )
        .order_by("-opened_on", "-id")
    )
    case = next((c for c in cases if c.closed_on is None), None)
    statuses = list(_seen(Status.objects.filter(student=student), viewer))
    risks = list(_seen(RiskAssessment.objects.filter(student=student), viewer))
    referrals = list(
        _seen(Referral.objects.filter(student=student), viewer).order_by("-made_on", "-id")
    )
    return CaseFile(
        case=case,
        earlier_cases=[c for c in cases if c.closed_on is not None],
        open_statuses=[s for s in statuses if s.ended_on is None],
        ended_statuses=[s for s in statuses if s.ended_on is not None],
        risk=risks[0] if risks else None,
        risk_history=risks,
        open_referrals=[r for r in referrals if r.outcome_on is None],
        answered_referrals=[r for r in referrals if r.outcome_on is not None],
    )


def status_for(viewer: Viewer, student, pk) -> Status | None:
    return _seen(Status.objects.filter(student=student, pk=pk), viewer).first()


def record_for(viewer: Viewer, student, record_type: str, pk) -> object | None:
    """One of the student's case-file records by its kind's name ("status", "referral", ...),
    if the viewer may see it."""
    model = RECORD_MODELS.get(record_type)
    if model is None:
        return None
    return _seen(model.objects.filter(student=student, pk=pk), viewer).first()


def referral_for(viewer: Viewer, student, pk) -> Referral | None:
    return _seen(Referral.objects.filter(student=student, pk=pk), viewer).first()


def open_case(student) -> Case | None:
    return Case.objects.filter(student=student, closed_on__isnull=True).first()


def case_events(
    viewer: Viewer,
    student,
    *,
    after: datetime.datetime | None = None,
    before: datetime.datetime | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    incidents=None,
) -> list[CaseEvent]:
    """The case file's lines of the student's chronology that the viewer may see, newest first:
    those after `after` and up to `before` (the span of a page of incidents), between the dates
    `start` and `end` (the chronology's filter), or, with `incidents`, those made on them."""
    events = _seen(CaseEvent.objects.filter(student=student), viewer)
    if after is not None:
        events = events.filter(happened_at__gt=after)
    if before is not None:
        events = events.filter(happened_at__lte=before)
    if start:
        events = events.filter(happened_on__gte=start)
    if end:
        events = events.filter(happened_on__lte=end)
    if incidents is not None:
        events = events.filter(incident_id__in=incidents)
    return list(events.order_by("-happened_at", "-id"))


def count_case_events(viewer: Viewer, student) -> int:
    return _seen(CaseEvent.objects.filter(student=student), viewer).count()


CASELOAD_SORTS = {
    "name": ("student__legal_last_name", "student__legal_first_name", "id"),
    "risk": ("-risk_position", "student__legal_last_name", "id"),
    "review": ("next_review_on", "student__legal_last_name", "id"),
    "opened": ("-opened_on", "-id"),
}


@dataclass(frozen=True)
class CaseloadFilter:
    status: str = ""  # a status kind ("child_protection_plan") or "school:<id>"
    risk: str = ""  # a risk level's name
    review_overdue: bool = False
    awaiting_feedback: bool = False
    sort: str = "review"


def caseload(viewer: Viewer, chosen: CaseloadFilter) -> QuerySet[Case]:
    """The DSL team's open cases with each child's current risk level, open statuses (read
    apart: `open_statuses_of`), referrals awaiting feedback and unread alerts."""
    rank = _rank(viewer)
    today = timezone.localdate()
    latest_risk = RiskAssessment.objects.filter(
        student=OuterRef("student"), required_rank__lte=rank
    ).order_by("-set_on", "-id")
    awaiting = (
        Referral.objects.filter(
            student=OuterRef("student"), outcome_on__isnull=True, required_rank__lte=rank
        )
        .order_by()
        .values("student")
        .annotate(n=Count("pk"))
        .values("n")
    )
    unread = (
        Alert.objects.filter(
            recipient=viewer.user, read_at__isnull=True, incident__student=OuterRef("student")
        )
        .order_by()
        .values("incident__student")
        .annotate(n=Count("pk"))
        .values("n")
    )
    cases = (
        Case.objects.filter(closed_on__isnull=True)
        .select_related("student")
        .annotate(
            risk_level=Subquery(latest_risk.values("level")[:1]),
            risk_position=Coalesce(
                Subquery(latest_risk.values("position")[:1]), Value(-1), output_field=IntegerField()
            ),
            awaiting=Coalesce(Subquery(awaiting), Value(0), output_field=IntegerField()),
            overdue_feedback=Coalesce(
                Subquery(awaiting.filter(feedback_due_on__lt=today)),
                Value(0),
                output_field=IntegerField(),
            ),
            unread_alerts=Coalesce(Subquery(unread), Value(0), output_field=IntegerField()),
        )
    )
    if chosen.status:
        open_statuses = Status.objects.filter(ended_on__isnull=True, required_rank__lte=rank)
        if chosen.status.startswith("school:"):
            open_statuses = open_statuses.filter(school_kind_id=chosen.status[7:] or None)
        else:
            open_statuses = open_statuses.filter(kind=chosen.status)
        cases = cases.filter(student__in=open_statuses.values("student"))
    if chosen.risk:
        cases = cases.filter(risk_level=chosen.risk)
    if chosen.review_overdue:
        cases = cases.filter(next_review_on__lt=today)
    if chosen.awaiting_feedback:
        cases = cases.filter(overdue_feedback__gt=0)
    return cases.order_by(*CASELOAD_SORTS.get(chosen.sort, CASELOAD_SORTS["review"]))


def open_statuses_of(viewer: Viewer, student_ids) -> dict[int, list[Status]]:
    """The open statuses of these students that the viewer may see, by student, in one query."""
    found: dict[int, list[Status]] = {}
    rows = _seen(
        Status.objects.filter(student_id__in=list(student_ids), ended_on__isnull=True), viewer
    ).order_by("started_on", "id")
    for status in rows:
        found.setdefault(status.student_id, []).append(status)
    return found


def awaiting_feedback(viewer: Viewer) -> QuerySet[Referral]:
    """Referrals whose feedback was due before today and has not been recorded, oldest due
    first: the DSL team chases each until its outcome is recorded."""
    today = timezone.localdate()
    return (
        _seen(Referral.objects.filter(outcome_on__isnull=True, feedback_due_on__lt=today), viewer)
        .select_related("student")
        .order_by("feedback_due_on", "id")
    )


def reviews_due(viewer: Viewer) -> QuerySet[Case]:
    """Open cases whose next review date has passed, oldest first."""
    today = timezone.localdate()
    return (
        Case.objects.filter(closed_on__isnull=True, next_review_on__lt=today)
        .select_related("student")
        .order_by("next_review_on", "id")
    )


@dataclass(frozen=True)
class Reminders:
    """What the DSL team's Dashboard reminds them of: counts only, no child named."""

    feedback_overdue: int = 0
    reviews_overdue: int = 0

    def __bool__(self) -> bool:
        return bool(self.feedback_overdue or self.reviews_overdue)


def team_reminders(viewer: Viewer) -> Reminders:
    """How many referrals are awaiting overdue feedback and how many reviews are overdue at the
    viewer's school, in one query (a referral awaiting feedback keeps its case open)."""
    today = timezone.localdate()
    late_feedback = (
        Referral.objects.filter(
            school=OuterRef("school"),
            outcome_on__isnull=True,
            feedback_due_on__lt=today,
            required_rank__lte=_rank(viewer),
        )
        .order_by()
        .values("school")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        Case.objects.filter(closed_on__isnull=True, school_id=viewer.user.school_id)
        .order_by()
        .values("school")
        .annotate(
            reviews=Count("pk", filter=Q(next_review_on__lt=today)),
            feedback=Coalesce(Subquery(late_feedback), Value(0), output_field=IntegerField()),
        )
        .values_list("feedback", "reviews")
        .first()
    )
    return Reminders(*row) if row else Reminders()


def has_open_case(student_ids) -> set[int]:
    return set(
        Case.objects.filter(student_id__in=student_ids, closed_on__isnull=True).values_list(
            "student_id", flat=True
        )
    )
