"""Reading alerts and the user's own recent history for the Dashboard."""

import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.incidents.models import Action, Incident

MY_HISTORY_DAYS = 7


def unread_alerts(user) -> QuerySet[Alert]:
    """The user's unread alerts, newest first, with what each row shows already fetched."""
    return (
        Alert.objects.filter(school_id=user.school_id, recipient=user, read_at__isnull=True)
        .select_related("sender", "incident__student")
        .order_by("-created_at", "-id")
    )


def my_history(user, limit: int = 50) -> tuple[list, bool]:
    """The newest `limit` incidents and actions the user added in the last 7 days, newest first,
    and whether there were more (two queries, however busy the week was)."""
    since = timezone.now() - datetime.timedelta(days=MY_HISTORY_DAYS)
    incidents = (
        Incident.objects.filter(reporter=user, recorded_at__gte=since)
        .select_related("student")
        .order_by("-recorded_at", "-id")[: limit + 1]
    )
    actions = (
        Action.objects.filter(author=user, recorded_at__gte=since)
        .select_related("incident__student")
        .order_by("-recorded_at", "-id")[: limit + 1]
    )
    entries = [("incident", incident.recorded_at, incident) for incident in incidents]
    entries += [("action", action.recorded_at, action) for action in actions]
    entries.sort(key=lambda entry: entry[1], reverse=True)
    return entries[:limit], len(entries) > limit


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
