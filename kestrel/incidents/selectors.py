"""Reading incidents for pages, always through the access policy."""

import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
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
    """One page of a chronology, and the total, in one query.

    The page's ids are chosen first (an index-only ordering of the student's incidents), and
    only those 25 rows are read in full; the total is a subquery run once, beside them."""
    paginator = Paginator(incidents, per_page)
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    ordered = incidents.order_by("-occurred_at", "-id")
    total = incidents.order_by().values("school_id").annotate(n=Count("pk")).values("n")

    def rows_of(page: int) -> list[Incident]:
        ids = ordered.values("pk")[(page - 1) * per_page : page * per_page]
        page_rows = Incident.objects.filter(pk__in=ids).annotate(total=Subquery(total))
        return list(_with_page(page_rows, files=False).order_by("-occurred_at", "-id"))

    rows = rows_of(number)
    if not rows and number > 1:  # past the end (an old link): the last page instead
        number = max((incidents.count() + per_page - 1) // per_page, 1)
        rows = rows_of(number)
    paginator.count = rows[0].total if rows else 0
    return Page(rows, number, paginator)
