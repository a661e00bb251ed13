"""Reading incidents for pages, always through the access policy."""

import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

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


def chronology(
    viewer: Viewer, student, *, category=None, start=None, end=None
) -> QuerySet[Incident]:
    """A student's incidents (their own and those they are linked to), newest first, optionally
    in one category (with its subcategories) and between two dates (school days, inclusive)."""
    incidents = chronology_incidents(viewer, student)
    if category is not None:
        incidents = incidents.filter(
            Q(categories=category) | Q(categories__parent=category)
        ).distinct()
    zone = timezone.get_current_timezone()
    if start:
        incidents = incidents.filter(
            occurred_at__gte=datetime.datetime.combine(start, datetime.time(), zone)
        )
    if end:
        following = end + datetime.timedelta(days=1)
        incidents = incidents.filter(
            occurred_at__lt=datetime.datetime.combine(following, datetime.time(), zone)
        )
    return _with_everything(incidents).order_by("-occurred_at", "-id")
