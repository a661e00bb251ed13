"""Reading alerts: the user's unread ones, the DSL team's overdue ones, undelivered emails."""

import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from kestrel.accounts.models import NAME_FIELDS, User
from kestrel.alerts.models import Alert, AlertGroup
from kestrel.school_calendar.days import calendar_for

# The names of who sent and who received an alert, for rows read as plain values.
PEOPLE_NAME_COLUMNS = tuple(
    f"{person}__{field}" for person in ("sender", "recipient") for field in NAME_FIELDS
)


def unread_alerts(user) -> QuerySet[Alert]:
    """The user's unread alerts, newest first (their ids: the pages read the columns they show)."""
    return Alert.objects.filter(recipient=user, read_at__isnull=True).order_by("-created_at", "-id")


def next_unread_incident(user, current: Alert | None = None) -> int | None:
    """The guide's "next alert": the incident of the user's newest unread alert other than
    `current` (the one being read), and not `current`'s own incident while it is unread."""
    following = unread_alerts(user)
    if current is not None:
        following = following.exclude(pk=current.pk)
        if current.read_at is None:  # the incident being read: not "next"
            following = following.exclude(incident_id=current.incident_id)
    return following.values_list("incident_id", flat=True).first()


def overdue_dsl_alerts(school, *, oldest: int | None = None) -> QuerySet[Alert]:
    """Alerts to key holders (the DSL team) still unread after the school's escalation time,
    oldest first. With `oldest`, only each key holder's `oldest` oldest are read: enough for a
    list of the team's `oldest` oldest, whatever the backlog behind them."""
    now = timezone.localtime()
    cutoff = calendar_for(school).school_days_before(now, school.escalation_school_days)
    overdue = Alert.objects.filter(read_at__isnull=True, created_at__lt=cutoff)
    if oldest is not None and connection.vendor == "postgresql":
        # Each key holder's oldest, read backwards off their unread alerts' index, then the
        # oldest of those: about (key holders x `oldest`) index entries. Left to itself,
        # PostgreSQL gathered every key holder's overdue alerts (7,859 on the bench) to sort.
        overdue = overdue.filter(pk__in=_each_key_holders_oldest(school, cutoff, oldest))
    else:
        # "Is the recipient a key holder" as a check on each row, not a join: SQLite then walks
        # the school's unread alerts oldest first (a partial index) and stops at the page's end.
        key_holder = User.objects.filter(pk=OuterRef("recipient_id"), is_key_holder=True)
        overdue = overdue.filter(Exists(key_holder))
    return overdue.order_by("created_at", "id")


def _each_key_holders_oldest(school, cutoff, oldest: int) -> RawSQL:
    """The ids of each key holder's `oldest` oldest unread alerts from before `cutoff`
    (PostgreSQL's LATERAL join: Django has no word for it). Tables and columns are named as the
    migrations make them; values are parameters."""
    sql = (
        "SELECT oldest.id FROM accounts_user holder CROSS JOIN LATERAL ("
        "SELECT a.id FROM alerts_alert a WHERE a.school_id = %s AND a.recipient_id = holder.id"
        " AND a.read_at IS NULL AND a.created_at < %s ORDER BY a.created_at, a.id LIMIT %s"
        ") oldest WHERE holder.school_id = %s AND holder.is_key_holder"
    )
    return RawSQL(sql, (school.pk, cutoff, oldest, school.pk))  # noqa: S611


def undelivered_alert_emails() -> QuerySet[Alert]:
    """Alert emails the administrator must hear about: failed after every retry, or still not
    delivered ALERT_EMAIL_OVERDUE_MINUTES after the alert (waiting or being sent); newest first."""
    late = timezone.now() - datetime.timedelta(minutes=settings.ALERT_EMAIL_OVERDUE_MINUTES)
    return (
        Alert.objects.filter(
            Q(email_status="failed")
            | Q(email_status__in=["pending", "sending"], created_at__lt=late)
        )
        .select_related("recipient", "sender")
        .order_by("-created_at", "-id")
    )


def alert_group_memberships(school) -> QuerySet:
    """Who is in each of the school's active alert groups (active colleagues only), group by
    group in name order, with the group and the colleague: one query for the chooser."""
    return (
        AlertGroup.members.through.objects.filter(
            alertgroup__school=school,
            alertgroup__is_active=True,
            user__is_active=True,
        )
        .select_related("alertgroup", "user__access_level")
        .order_by("alertgroup__name", "alertgroup_id")
    )
