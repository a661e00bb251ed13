"""What the Dashboard shows: a page of the user's unread alerts (and, for the DSL team, the
oldest overdue ones) as rows, and the user's own recent history."""

import datetime
from dataclasses import dataclass

from django.db.models import F, Value
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.alerts.selectors import PEOPLE_NAME_COLUMNS
from kestrel.incidents.models import Action, EncompassNotification, Incident
from kestrel.incidents.policies import MY_HISTORY_DAYS
from kestrel.paths import path_to
from kestrel.students.models import Student
from kestrel.students.names import LABEL_FIELDS

# What the Dashboard shows of each alert: who sent it (and, on the DSL team's overdue list, to
# whom), when, and its incident's snapshot and student. Nothing more.
DASHBOARD_COLUMNS = (
    "pk",
    "incident_id",
    "action_id",
    "recipient_id",
    "created_at",
    *PEOPLE_NAME_COLUMNS,
    "incident__snapshot",
    "incident__required_rank",
    "incident__student_id",
    *(f"incident__student__{field}" for field in LABEL_FIELDS),
)


@dataclass(frozen=True, slots=True)
class DashboardAlert:
    """One alert as a Dashboard row shows it."""

    pk: int
    incident_id: int
    action_id: int | None
    recipient_id: int
    created_at: datetime.datetime
    sender_name: str
    recipient_name: str
    category_labels: list[str]
    required_rank: int  # of the incident: whether the viewer's key opens it
    student: Student  # the label's fields only

    @classmethod
    def from_row(cls, row: tuple) -> "DashboardAlert":
        pk, incident_id, action_id, recipient_id, created_at, *rest = row
        sender, recipient = rest[:2], rest[2:4]
        snapshot, required_rank, student_id, *label = rest[4:]
        return cls(
            pk=pk,
            incident_id=incident_id,
            action_id=action_id,
            recipient_id=recipient_id,
            created_at=created_at,
            sender_name=User.name_of(*sender),
            recipient_name=User.name_of(*recipient),
            category_labels=Incident.category_labels_in(snapshot),
            required_rank=required_rank,
            student=Student.from_label(student_id, label),
        )

    @property
    def url(self) -> str:
        return path_to("incidents:view", self.incident_id)


def dashboard_rows(alerts, *, limit: int, offset: int = 0) -> tuple[list[DashboardAlert], bool]:
    """`limit` alerts from `offset`, and whether there are more, in one query. Counting them all
    would read every unread alert of a busy DSL team at each visit: one row more is enough to
    say so. The rows' ids are chosen from the indexes first, and only those rows are joined to
    their incident, student and colleagues, read as plain values: as model objects, five to a
    row, they cost more than the query (measured)."""
    ids = alerts.values("pk")[offset : offset + limit + 1]
    rows = (
        Alert.objects.filter(pk__in=ids)
        .order_by(*alerts.query.order_by)
        .values_list(*DASHBOARD_COLUMNS)
    )
    found = [DashboardAlert.from_row(row) for row in rows]
    return found[:limit], len(found) > limit


def my_history(user, limit: int = 25) -> tuple[list, bool]:
    """The newest `limit` incidents and actions the user added in the last 7 days, newest first,
    as (kind, when, incident) with the incident's student, and whether there were more.

    One query finds the entries (incidents and actions together, through their indexes on the
    author and time) and, only if there are any, one more reads their incidents' students."""
    since = timezone.now() - datetime.timedelta(days=MY_HISTORY_DAYS)
    columns = ("kind", "recorded_at", "incident_pk", "pk")
    incidents = (
        Incident.objects.filter(reporter=user, recorded_at__gte=since)
        .annotate(kind=Value("incident"), incident_pk=F("pk"))
        .order_by()
        .values_list(*columns)
    )
    actions = (
        Action.objects.filter(author=user, recorded_at__gte=since)
        .annotate(kind=Value("action"), incident_pk=F("incident_id"))
        .order_by()
        .values_list(*columns)
    )
    entries = list(incidents.union(actions, all=True).order_by("-recorded_at", "-pk")[: limit + 1])
    if not entries:
        return [], False
    shown = entries[:limit]
    incidents_by_pk = (
        Incident.objects.select_related("student")
        .only("student_id", *(f"student__{field}" for field in LABEL_FIELDS))
        .in_bulk({incident_pk for _, _, incident_pk, _ in shown})
    )
    history = [(kind, at, incidents_by_pk[incident_pk]) for kind, at, incident_pk, _ in shown]
    return history, len(entries) > limit


@dataclass(frozen=True, slots=True)
class LateEncompass:
    """An Operation Encompass notification not acknowledged before the next school day, as the
    DSL team's Dashboard lists it: whose, when received, and whether the viewer's key opens it."""

    incident_id: int
    received_at: datetime.datetime
    due_at: datetime.datetime
    required_rank: int
    student: Student  # the label's fields only

    @property
    def url(self) -> str:
        return path_to("incidents:view", self.incident_id)


def late_encompass(school, *, limit: int) -> tuple[list[LateEncompass], bool]:
    """The school's oldest `limit` Operation Encompass notifications not acknowledged before
    the start of the next school day after they came, and whether there are more: one query,
    through the index of those waiting (`encompass_waiting`)."""
    rows = list(
        EncompassNotification.objects.filter(
            school=school, acknowledged_at__isnull=True, due_at__lte=timezone.now()
        )
        .order_by("due_at", "pk")
        .values_list(
            "incident_id",
            "received_at",
            "due_at",
            "incident__required_rank",
            "incident__student_id",
            *(f"incident__student__{field}" for field in LABEL_FIELDS),
        )[: limit + 1]
    )
    late = [
        LateEncompass(
            incident_id=incident_id,
            received_at=received_at,
            due_at=due_at,
            required_rank=rank,
            student=Student.from_label(student_id, label),
        )
        for incident_id, received_at, due_at, rank, student_id, *label in rows[:limit]
    ]
    return late, len(rows) > limit
