"""Reading incidents for pages, always through the access policy."""

from django.db.models import Prefetch, QuerySet

from kestrel.access.records import Viewer, chronology_incidents, visible_incidents
from kestrel.incidents.models import Action, Correction, Incident, LinkedStudent


def _with_everything(incidents: QuerySet) -> QuerySet:
    return incidents.select_related("student", "reporter").prefetch_related(
        "categories",
        "agencies",
        "markers",
        "attachments",
        Prefetch("corrections", queryset=Correction.objects.select_related("author")),
        Prefetch("links", queryset=LinkedStudent.objects.select_related("student")),
        Prefetch(
            "actions",
            queryset=Action.objects.select_related("author").prefetch_related("agencies"),
        ),
    )


def incident_for_page(viewer: Viewer, pk: int) -> Incident | None:
    """The incident with all it shows, or None if the viewer may not open it."""
    return _with_everything(visible_incidents(viewer)).filter(pk=pk).first()


def chronology(viewer: Viewer, student, *, category=None) -> QuerySet[Incident]:
    """A student's incidents (their own and those they are linked to), newest first."""
    incidents = chronology_incidents(viewer, student)
    if category is not None:
        incidents = incidents.filter(categories=category)
    return _with_everything(incidents).order_by("-occurred_at", "-id")
