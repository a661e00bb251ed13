"""Reading alerts and the user's own recent history for the Dashboard."""

import datetime

from django.db.models import Exists, F, OuterRef, QuerySet, Value
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.incidents.models import Action, Incident
from kestrel.students.names import LABEL_FIELDS

MY_HISTORY_DAYS = 7


def unread_alerts(user) -> QuerySet[Alert]:
    """The user's unread alerts, newest first, with what each row shows already fetched."""
    return (
        Alert.objects.filter(school_id=user.school_id, recipient=user, read_at__isnull=True)
        .select_related("sender", "incident__student")
        .order_by("-created_at", "-id")
    )


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


def school_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The same time of day, `days` school days (Monday to Friday) earlier."""
    cursor = moment
    remaining = days
    while remaining:
        cursor -= datetime.timedelta(days=1)
        if cursor.weekday() < 5:
            remaining -= 1
    return cursor


def overdue_dsl_alerts(school) -> QuerySet[Alert]:
    """Alerts to key holders (the DSL team) still unread after the school's escalation time."""
    now = timezone.localtime()
    cutoff = school_days_before(now, school.escalation_school_days)
    # "Is the recipient a key holder" as a check on each row, not a join: the database then
    # walks the school's unread alerts oldest first (a partial index) and stops at the page's
    # end, instead of gathering every key holder's unread alerts to sort them.
    key_holder = User.objects.filter(pk=OuterRef("recipient_id"), is_key_holder=True)
    return (
        Alert.objects.filter(
            Exists(key_holder),
            school=school,
            read_at__isnull=True,
            created_at__lt=cutoff,
        )
        .select_related("recipient", "sender", "incident__student")
        .order_by("created_at")
    )
