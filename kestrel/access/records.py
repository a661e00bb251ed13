"""Which safeguarding records a person may see: one set of QuerySet filters for every page.

The rules (deny by default; any one of them is enough):
- a key holder whose key is unlocked sees every incident whose categories are at or below their
  access level (`Incident.required_rank`, fixed when the incident was recorded);
- anyone alerted to an incident sees it until they mark the alert as read;
- whoever recorded an incident sees it in My History for 7 days.
A school administrator gets nothing from being an administrator. Lists, counts, exports and
detail pages all start from `visible_incidents`, so a list can never show what a page refuses.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kestrel.access.keys import key_unlocked
from kestrel.alerts.models import Alert
from kestrel.incidents.models import Incident, LinkedStudent

MY_HISTORY_DAYS = 7


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and whether their key is unlocked in this session."""

    user: object
    key_unlocked: bool

    @classmethod
    def of(cls, request) -> "Viewer":
        return cls(user=request.user, key_unlocked=key_unlocked(request))

    @property
    def rank(self) -> int | None:
        level = self.user.access_level
        return level.rank if level is not None and level.is_active else None

    @property
    def key_rank(self) -> int | None:
        """The rank the user's key opens incidents up to, once unlocked (None: it opens none)."""
        return self.rank if self.user.is_key_holder else None

    def key_opens(self, required_rank: int) -> bool:
        """Whether the key, once unlocked, opens an incident that needs `required_rank`: the key
        holders' rule of `visible_incidents`, for a row already read."""
        return self.key_rank is not None and required_rank <= self.key_rank


def unread_alert_for(user) -> Exists:
    return Exists(
        Alert.objects.filter(incident=OuterRef("pk"), recipient=user, read_at__isnull=True)
    )


def visible_incidents(viewer: Viewer) -> QuerySet[Incident]:
    """Every incident the viewer may open, scoped to their school."""
    user = viewer.user
    if not (user.is_authenticated and user.is_active):
        return Incident.objects.none()
    since = timezone.now() - datetime.timedelta(days=MY_HISTORY_DAYS)
    rules = Q(reporter=user, recorded_at__gte=since) | Q(unread_alert_for(user))
    if viewer.key_unlocked and viewer.key_rank is not None:
        # First: the database tries the rules in order on each row and stops at the first that
        # holds, so the key holder's cheap column test spares most rows the alert lookup.
        rules = Q(required_rank__lte=viewer.key_rank) | rules
    return Incident.objects.filter(school_id=user.school_id).filter(rules)


def get_incident(viewer: Viewer, pk: int) -> Incident:
    """The incident if the viewer may open it; otherwise 404, whether or not it exists."""
    incident = visible_incidents(viewer).filter(pk=pk).first()
    if incident is None:
        raise Http404("No incident you may open")
    return incident


def chronology_incidents(viewer: Viewer, student) -> QuerySet[Incident]:
    """A student's incidents, including those where they are a linked student, that the viewer
    may open. Chronologies are for key holders with their key unlocked."""
    own, linked = chronology_parts(viewer, student)
    # One indexed list of ids (own incidents, then linked ones) rather than an OR across a join,
    # which would make the database read every incident of the school.
    return own.model.objects.filter(pk__in=own.values("pk").union(linked.values("pk")))


def chronology_parts(viewer: Viewer, student) -> tuple[QuerySet[Incident], QuerySet[Incident]]:
    """The two halves of `chronology_incidents`, each found through its own index: the student's
    own incidents and those they are linked to, that the viewer may open."""
    if not (viewer.key_unlocked and viewer.user.is_key_holder):
        return Incident.objects.none(), Incident.objects.none()
    visible = visible_incidents(viewer)
    linked = LinkedStudent.objects.filter(student=student).values("incident_id")
    return visible.filter(student=student), visible.filter(pk__in=linked)
