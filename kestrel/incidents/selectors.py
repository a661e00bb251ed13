"""Reading incidents for pages, always through the access policy."""

import datetime

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Window,
    prefetch_related_objects,
)
from django.utils import timezone

from kestrel.access.records import Viewer, chronology_incidents, visible_incidents
from kestrel.accounts.models import NAME_FIELDS
from kestrel.files.models import Attachment
from kestrel.incidents.models import Action, Correction, Incident, LinkedStudent
from kestrel.paging import page_number

# What an incident's page shows besides its snapshot (categories, agencies, markers), by the
# name of the relation; each list is read only for the incidents that have any.
RELATED = {
    "links": LinkedStudent.objects.select_related("student"),
    "corrections": Correction.objects.select_related("author"),
    "actions": Action.objects.select_related("author"),
    "attachments": Attachment.objects.all(),
}
# A chronology entry's actions: their author's name and what the entry shows, nothing more.
ACTIONS_IN_BRIEF = Action.objects.select_related("author").only(
    "incident_id",
    "text",
    "occurred_at",
    "add_to_linked_students",
    *(f"author__{field}" for field in NAME_FIELDS),
)


def with_presence(incidents: QuerySet, relations) -> QuerySet:
    """Annotates `has_<relation>` for each relation named: an index probe inside the same query."""
    return incidents.annotate(
        **{
            f"has_{relation}": Exists(
                RELATED[relation].model.objects.filter(incident=OuterRef("pk"))
            )
            for relation in relations
        }
    )


def read_related(incidents: list[Incident], relations: dict[str, QuerySet]) -> None:
    """Prefetches each relation (name: the rows to read) for the incidents whose `has_<relation>`
    says they have any, and gives the others an empty list: most incidents have no linked
    students, corrections or files, and each list not read is a query saved. Either way,
    `incident.<relation>.all()` then costs no query."""
    for relation, rows in relations.items():
        having = [incident for incident in incidents if getattr(incident, f"has_{relation}")]
        if having:
            prefetch_related_objects(having, Prefetch(relation, queryset=rows))
        for incident in incidents:
            if not getattr(incident, f"has_{relation}"):
                _known_empty(incident, relation)


def _known_empty(incident: Incident, relation: str) -> None:
    """Stores an empty result as Django's prefetch stores one. (Prefetching from `.none()` gives
    the same without these names, but its machinery costs about 0.7 ms a relation, measured.)"""
    empty = getattr(incident, relation).none()
    empty._result_cache, empty._prefetch_done = [], True
    incident.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = empty


def incident_for_page(viewer: Viewer, pk: int, relations=tuple(RELATED)) -> Incident | None:
    """The incident with its student, reporter and the `relations` it shows (all of them unless
    told), or None if the viewer may not open it."""
    incident = (
        with_presence(visible_incidents(viewer).filter(pk=pk), relations)
        .select_related("student", "reporter__access_level")
        .first()
    )
    if incident is not None:
        read_related([incident], {relation: RELATED[relation] for relation in relations})
    return incident


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
    number = page_number(number)
    relations = {"corrections": RELATED["corrections"], "actions": ACTIONS_IN_BRIEF}
    if with_links:
        relations["links"] = RELATED["links"]
    counted = with_presence(
        incidents.annotate(total=Window(Count("pk")))
        .order_by("-occurred_at", "-id")
        .select_related("student", "reporter"),
        relations,
    )

    def rows_of(page: int) -> list[Incident]:
        rows = list(counted[(page - 1) * per_page : page * per_page])
        read_related(rows, relations)
        return rows

    rows = rows_of(number)
    if not rows and number > 1:  # past the end (an old link): the last page instead
        number = max((incidents.count() + per_page - 1) // per_page, 1)
        rows = rows_of(number)
    paginator.count = rows[0].total if rows else 0
    return Page(rows, number, paginator)
