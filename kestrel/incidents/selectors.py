"""Reading incidents for pages, always through the access policy."""

import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Window
from django.utils import timezone

from kestrel.access.records import Viewer, chronology_incidents, visible_incidents
from kestrel.incidents.models import Action, Correction, Incident, LinkedStudent


def _with_page(incidents: QuerySet, *, actions: bool = True, files: bool = True) -> QuerySet:
    """What an incident's page shows besides its snapshot (categories, agencies, markers): its
    student, reporter, linked students, corrections and, if asked, actions and files."""
    related = [
        Prefetch("links", queryset=LinkedStudent.objects.select_related("student")),
        Prefetch("corrections", queryset=Correction.objects.select_related("author")),
    ]
    if actions:
        related.append(Prefetch("actions", queryset=Action.objects.select_related("author")))
    if files:
        related.append("attachments")
    return incidents.select_related("student", "reporter__access_level").prefetch_related(*related)


def incident_for_page(
    viewer: Viewer, pk: int, *, actions: bool = True, files: bool = True
) -> Incident | None:
    """The incident with all it shows, or None if the viewer may not open it."""
    incidents = visible_incidents(viewer).filter(pk=pk)
    return _with_page(incidents, actions=actions, files=files).first()


def chronology(
    viewer: Viewer, student, *, category=None, start=None, end=None
) -> QuerySet[Incident]:
    """A student's incidents (their own and those they are linked to), newest first, optionally
    in one category (with its subcategories) and between two dates (school days, inclusive)."""
    incidents = chronology_incidents(viewer, student)
    if category is not None:
        filed = Incident.categories.through.objects.filter(incident=OuterRef("pk"))
        incidents = incidents.filter(
            Exists(filed.filter(Q(category=category) | Q(category__parent=category)))
        )
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
    return incidents.order_by("-occurred_at", "-id")


def chronology_page(incidents: QuerySet[Incident], number, per_page: int) -> Page:
    """One page of a chronology, its rows and the total counted in the same query."""
    paginator = Paginator(incidents, per_page)
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    counted = _with_page(incidents, files=False).annotate(total=Window(Count("pk")))
    rows = list(counted[(number - 1) * per_page : number * per_page])
    if not rows and number > 1:  # past the end (an old link): the last page instead
        total = incidents.count()
        number = max((total + per_page - 1) // per_page, 1)
        rows = list(counted[(number - 1) * per_page : number * per_page])
    paginator.count = rows[0].total if rows else 0
    return Page(rows, number, paginator)
