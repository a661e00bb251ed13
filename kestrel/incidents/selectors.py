"""Reading incidents for pages, always through the access policy."""

import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Window
from django.utils import timezone

from kestrel.access.records import Viewer, chronology_incidents, visible_incidents
from kestrel.accounts.models import NAME_FIELDS
from kestrel.incidents.models import Action, Correction, Incident, LinkedStudent

LINKS = LinkedStudent.objects.select_related("student")


def _with_page(incidents: QuerySet, *, actions: bool = True, files: bool = True) -> QuerySet:
    """What an incident's page shows besides its snapshot (categories, agencies, markers): its
    student, reporter, linked students, corrections and, if asked, actions and files."""
    related = [
        Prefetch("links", queryset=LINKS),
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


def chronology_page(
    incidents: QuerySet[Incident], number, per_page: int, *, with_links: bool = True
) -> Page:
    """One page of a chronology, and the total, in one query.

    The total is a window over the same rows (`COUNT(*) OVER ()`), so the database finds the
    student's incidents and applies the access rules once for both."""
    paginator = Paginator(incidents, per_page)
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    counted = (
        incidents.annotate(total=Window(Count("pk")))
        .order_by("-occurred_at", "-id")
        .select_related("student", "reporter")
        .prefetch_related(
            "corrections",
            Prefetch(
                "actions",
                queryset=Action.objects.select_related("author").only(
                    "incident_id",
                    "text",
                    "occurred_at",
                    "add_to_linked_students",
                    *(f"author__{field}" for field in NAME_FIELDS),
                ),
            ),
            # Linked students are only needed to star out their names.
            *([Prefetch("links", queryset=LINKS)] if with_links else []),
        )
    )

    def rows_of(page: int) -> list[Incident]:
        return list(counted[(page - 1) * per_page : page * per_page])

    rows = rows_of(number)
    if not rows and number > 1:  # past the end (an old link): the last page instead
        number = max((incidents.count() + per_page - 1) // per_page, 1)
        rows = rows_of(number)
    paginator.count = rows[0].total if rows else 0
    return Page(rows, number, paginator)
