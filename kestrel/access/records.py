"""Which incidents a person may see, for the pages that read them in bulk (the chronology).

The rules themselves are `kestrel.access.policies.IncidentPolicy` (one policy per kind of record):
this module keeps the names the selectors and tests already use. Lists, counts, exports and
detail pages all start from `visible_incidents`, so a list can never show what a page refuses.
"""

from django.db.models import QuerySet
from django.http import Http404

from kestrel.access.policies import (
    INCIDENTS,
    MY_HISTORY_DAYS,
    Viewer,
    unread_alert_for,
)
from kestrel.incidents.models import Incident, LinkedStudent

__all__ = [
    "MY_HISTORY_DAYS",
    "Viewer",
    "chronology_incidents",
    "chronology_parts",
    "get_incident",
    "unread_alert_for",
    "visible_incidents",
]


def visible_incidents(viewer: Viewer) -> QuerySet[Incident]:
    """Every incident the viewer may open, scoped to their school (`IncidentPolicy.visible`)."""
    return INCIDENTS.visible(viewer)


def get_incident(viewer: Viewer, pk: int) -> Incident:
    """The incident if the viewer may open it; otherwise 404, whether or not it exists. (Views
    use the door, `kestrel.access.doors.get_incident_for_user`, which also records refusals.)"""
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
