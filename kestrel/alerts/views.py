"""The Dashboard: the page after sign-in, with the user's alerts and their own recent history."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.doors import find_alert_for_user, get_alert_for_user
from kestrel.access.records import Viewer
from kestrel.accounts.models import User
from kestrel.alerts import services
from kestrel.alerts.models import Alert
from kestrel.alerts.selectors import (
    PEOPLE_NAME_COLUMNS,
    my_history,
    overdue_dsl_alerts,
    unread_alerts,
)
from kestrel.audit.services import record
from kestrel.ids import is_id
from kestrel.incidents.models import Incident
from kestrel.paging import page_number
from kestrel.paths import path_to
from kestrel.students.models import Student
from kestrel.students.names import LABEL_FIELDS

# Rows per list: a page of unread alerts at a time (older ones a link away), the oldest overdue
# alerts of the DSL team, and the newest of the user's own week.
ALERTS_PER_PAGE = 25
OVERDUE_SHOWN = 10
HISTORY_SHOWN = 25
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


def _rows(alerts, *, limit: int, offset: int = 0) -> tuple[list[DashboardAlert], bool]:
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


@requires("signed_in")
def dashboard(request):
    number = page_number(request.GET.get("page"))
    unread = unread_alerts(request.user)
    offset = (number - 1) * ALERTS_PER_PAGE
    alerts, more_alerts = _rows(unread, limit=ALERTS_PER_PAGE, offset=offset)
    if not alerts and number > 1:  # past the end (alerts read since): the first page instead
        number = 1
        alerts, more_alerts = _rows(unread, limit=ALERTS_PER_PAGE)
    overdue, more_overdue = (
        _rows(overdue_dsl_alerts(request.school, oldest=OVERDUE_SHOWN + 1), limit=OVERDUE_SHOWN)
        if request.user.is_key_holder
        else ([], False)
    )
    # Each overdue alert with whether the viewer may open its incident (their own unread alert or
    # their key opens it): only then is it a link.
    viewer = Viewer.of(request)
    overdue = [
        (alert, alert.recipient_id == request.user.pk or viewer.key_opens(alert.required_rank))
        for alert in overdue
    ]
    history, more_history = my_history(request.user, limit=HISTORY_SHOWN)
    if alerts or overdue or history:  # children's names and concerns were shown
        with transaction.atomic():
            record(
                action="dashboard.viewed",
                request=request,
                detail={
                    "page": number,
                    "alerts": [alert.pk for alert in alerts],
                    "overdue": [alert.pk for alert, _ in overdue],
                    "history": [[kind, incident.pk] for kind, _, incident in history],
                },
            )
    return render(
        request,
        "alerts/dashboard.html",
        {
            "alerts": alerts,
            "alerts_page": number,
            "more_alerts": more_alerts,
            "history": history,
            "more_history": more_history,
            "overdue": overdue,
            "more_overdue": more_overdue,
        },
    )


@requires("signed_in")
def next_alert(request):
    """The guide's "next alert": the newest unread alert other than the one being read."""
    after = request.GET.get("after", "")
    following = unread_alerts(request.user)
    # Another person's alert tells them nothing, but asking for it is on the record (the door).
    current = find_alert_for_user(request, after) if is_id(after) else None
    if current is not None:
        following = following.exclude(pk=current.pk)
        if current.read_at is None:  # the incident being read: not "next"
            following = following.exclude(incident_id=current.incident_id)
    following = following.values_list("incident_id", flat=True).first()
    if following is None:
        notices.info(request, "You have no other unread alerts.")
        return redirect("dashboard")
    return redirect("incidents:view", pk=following)


@requires("signed_in")
@require_POST
def mark_as_read(request, pk):
    alert = get_alert_for_user(request, pk, "mark_as_read")
    services.mark_as_read(actor=request.user, alert=alert, request=request)
    notices.success(request, "The alert has been marked as read.")
    return redirect("dashboard")
