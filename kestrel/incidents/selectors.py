"""Reading incidents for pages, always through the access policy."""

import datetime
from dataclasses import dataclass, field, replace
from operator import attrgetter, itemgetter

from django.db.models import (
    BooleanField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import Expression, RawSQL
from django.utils import timezone

from kestrel.access.policies import Viewer
from kestrel.accounts.models import NAME_FIELDS, User
from kestrel.alerts.models import Alert
from kestrel.alerts.selectors import PEOPLE_NAME_COLUMNS
from kestrel.files.models import Attachment
from kestrel.ids import is_id
from kestrel.incidents.models import (
    Action,
    Category,
    ChronologyTally,
    Correction,
    Incident,
    LinkedStudent,
)
from kestrel.incidents.policies import INCIDENTS, chronology_parts, visible_incidents
from kestrel.incidents.services import corrected
from kestrel.paths import path_to
from kestrel.students.models import Student
from kestrel.students.names import LABEL_FIELDS

# What an incident's page shows besides its snapshot (categories, agencies, markers), by the
# name of the relation, and what each row brings with it; each list is read only for the
# incidents that have any.
RELATED = {
    "links": (LinkedStudent, ("student",)),
    "corrections": (Correction, ("author",)),
    "actions": (Action, ("author",)),
    "attachments": (Attachment, ()),
}


# What an incident's page shows that it has at most one of, joined to the incident's own row.
ONE_TO_ONE = ("encompass__acknowledged_by", "prevent")


def related_rows(relation: str) -> QuerySet:
    """The rows of one of RELATED's relations, made when asked: a school-owned queryset takes
    the school scope it is made in (kestrel.schools.scope), so none is kept from import."""
    model, with_rows = RELATED[relation]
    return model.objects.select_related(*with_rows) if with_rows else model.objects.all()


# What a chronology entry shows of each action, read as plain rows (no model objects).
ACTION_BRIEF_FIELDS = (
    "incident_id",
    "text",
    "occurred_at",
    "add_to_linked_students",
    *(f"author__{field}" for field in NAME_FIELDS),
)


class HasRows(Expression):
    """Whether the incident has rows of `model` (by their `incident` key): `EXISTS (SELECT 1 ...)`.

    The same SQL as `Exists(model.objects.filter(incident=OuterRef("pk")))`, written once here
    instead of compiled from a queryset at every request (about 0.4 ms a probe, measured). The
    incident is named by the alias its query gives it when compiled, so the probe stays right
    wherever the query is used."""

    output_field = BooleanField()

    def __init__(self, model):
        super().__init__()
        self.model = model

    def as_sql(self, compiler, connection):
        quote = connection.ops.quote_name
        rows = quote(self.model._meta.db_table)
        key = quote(self.model._meta.get_field("incident").column)
        incident = f"{quote(compiler.query.get_initial_alias())}.{quote(Incident._meta.pk.column)}"
        # Names from the models, quoted; no value enters the text.
        return f"EXISTS (SELECT 1 FROM {rows} WHERE {rows}.{key} = {incident})", []  # noqa: S608

    def get_group_by_cols(self):
        return []


def with_presence(incidents: QuerySet, relations) -> QuerySet:
    """Annotates `has_<relation>` for each relation named: an index probe inside the same query."""
    return incidents.annotate(
        **{f"has_{relation}": HasRows(RELATED[relation][0]) for relation in relations}
    )


def _by_incident(incidents: list[Incident], relation: str, rows: QuerySet, key) -> dict[int, list]:
    """The `rows` of the incidents whose `has_<relation>` says they have any, listed by incident
    (`key(row)` is a row's incident id), in one query. Most incidents have no linked students,
    corrections or files, and each list not read is a query saved."""
    having = [incident.pk for incident in incidents if getattr(incident, f"has_{relation}")]
    found = {pk: [] for pk in having}
    if having:
        for row in rows.filter(incident_id__in=having):
            found[key(row)].append(row)
    return found


def read_related(incidents: list[Incident], relations: dict[str, QuerySet]) -> None:
    """Reads each relation (name: the rows to read) for the incidents that have any. Either way,
    `incident.<relation>.all()` then costs no query."""
    for relation, rows in relations.items():
        found = _by_incident(incidents, relation, rows, attrgetter("incident_id"))
        back = rows.model._meta.get_field("incident")
        none = _cached(rows.model, [])  # one empty list for all who have none: it is only read
        for incident in incidents:
            rows_of = found.get(incident.pk)
            for row in rows_of or ():
                back.set_cached_value(row, incident)
            cache = incident.__dict__.setdefault("_prefetched_objects_cache", {})
            cache[relation] = _cached(rows.model, rows_of) if rows_of else none


def _cached(model, rows: list) -> QuerySet:
    """The rows as Django's prefetch stores them, without the related manager's filters that
    `prefetch_related_objects` builds for each incident (most of a chronology's prefetching,
    measured)."""
    cached = QuerySet(model=model)
    cached._result_cache, cached._prefetch_done = rows, True
    return cached


def incident_for_page(viewer: Viewer, pk: int, relations=tuple(RELATED)) -> Incident | None:
    """The incident with its student, reporter and the `relations` it shows (all of them unless
    told), or None if the viewer may not open it. Its Operation Encompass notification, if any,
    comes in the same query (a join, not a query more)."""
    incident = (
        with_presence(visible_incidents(viewer).filter(pk=pk), relations)
        .select_related("student", "reporter__access_level", *ONE_TO_ONE)
        .first()
    )
    if incident is not None:
        read_related([incident], {relation: related_rows(relation) for relation in relations})
    return incident


@dataclass(frozen=True)
class Chronology:
    """What a chronology lists: a student's own incidents and those they are linked to that the
    viewer may open (each half through its own index), narrowed by the filters, if any."""

    own: QuerySet
    linked: QuerySet
    student: Student
    key_rank: int  # the rank the viewer's unlocked key opens; -1 if none
    filtered: bool
    empty: bool = False

    def none(self) -> "Chronology":
        return replace(self, empty=True)


def chronology(viewer: Viewer, student, *, category=None, start=None, end=None) -> Chronology:
    """A student's incidents (their own and those they are linked to) that the viewer may open,
    optionally in one category (with its subcategories) and between two dates (school days,
    inclusive): the entries of `chronology_page`."""
    zone = timezone.get_current_timezone()

    def narrowed(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        if category is not None:
            filed = Incident.categories.through.objects.filter(incident=OuterRef("pk"))
            incidents = incidents.filter(
                Exists(filed.filter(Q(category=category) | Q(category__parent=category)))
            )
        if start:
            incidents = incidents.filter(
                occurred_at__gte=datetime.datetime.combine(start, datetime.time(), zone)
            )
        if end:
            following = end + datetime.timedelta(days=1)
            incidents = incidents.filter(
                occurred_at__lt=datetime.datetime.combine(following, datetime.time(), zone)
            )
        return incidents

    own, linked = chronology_parts(viewer, student)
    empty = own.query.is_empty() and linked.query.is_empty()  # not for this viewer at all
    opens = viewer.key_rank if viewer.key_unlocked and viewer.key_rank is not None else -1
    return Chronology(
        own=narrowed(own),
        linked=narrowed(linked),
        student=student,
        key_rank=opens,
        filtered=bool(category or start or end),
        empty=empty,
    )


@dataclass(slots=True, repr=False)
class ChronologyEntry:
    """An incident as a chronology entry shows it, read as plain values: a page's 25 incidents,
    students and reporters as model objects cost about as much as the query (measured)."""

    pk: int
    student: Student  # the fields of the student's label and names only
    reporter_name: str
    text: str  # as first recorded
    occurred_at: datetime.datetime  # as first recorded
    category_labels: list[str]
    has_corrections: bool
    has_links: bool
    has_actions: bool
    corrections: list[tuple[str, datetime.datetime | None]] = field(default_factory=list)
    linked_students: list[Student] = field(default_factory=list)
    action_briefs: list[dict] = field(default_factory=list)
    # On a linked student's chronology, their part of the entry (`LinkedStudent`): the note
    # written for their file, and whether the whole entry is shared with it. When it is not,
    # the account (`text`, and corrections' texts) is not read into the entry at all.
    note: str = ""
    whole: bool = True

    def __repr__(self) -> str:  # no child data in logs and tracebacks
        return f"<ChronologyEntry: incident {self.pk}>"

    @classmethod
    def from_row(cls, row: tuple, relations: tuple[str, ...]) -> "ChronologyEntry":
        """An entry from a row of `ENTRY_COLUMNS`, then `has_<relation>` for each of
        `relations`."""
        pk, text, occurred_at, snapshot, first, last, student_id, *rest = row
        label, present = rest[: len(LABEL_FIELDS)], rest[len(LABEL_FIELDS) :]
        has = dict(zip(relations, present, strict=True))
        return cls(
            pk=pk,
            student=Student.from_label(student_id, label),
            reporter_name=User.name_of(first, last),
            text=text,
            occurred_at=occurred_at,
            category_labels=Incident.category_labels_in(snapshot),
            has_corrections=has["corrections"],
            has_links=has.get("links", False),
            has_actions=has["actions"],
        )

    @property
    def student_id(self) -> int:
        return self.student.pk

    @property
    def url(self) -> str:
        return path_to("incidents:view", self.pk)

    def current_version(self) -> tuple[str, datetime.datetime]:
        """The text and date/time as corrected, as `services.current_version` gives them."""
        return corrected(self.text, self.occurred_at, self.corrections)

    def as_part_of(self, note: str | None, whole: bool | None) -> None:
        """The entry as a linked student's file shows it: the note for them, and the account
        only when the whole entry is shared with them (links made before either was asked:
        no note, not shared)."""
        self.note, self.whole = note or "", bool(whole)
        if not self.whole:
            self.text = ""


def read_entry_lists(entries: list[ChronologyEntry], *, with_links: bool) -> None:
    """Fills in the entries' corrections, actions and (`with_links`) linked students, one query
    for each list that some entry has. Actions are plain rows (author, occurred_at, text,
    add_to_linked_students): a page of 25 entries has about 75 actions, and their model objects
    and authors' cost more than the rest of the entry (measured)."""
    by_pk = {entry.pk: entry for entry in entries}
    corrections = Correction.objects.values_list("incident_id", "text", "occurred_at")
    for pk, rows in _by_incident(entries, "corrections", corrections, itemgetter(0)).items():
        whole = by_pk[pk].whole  # a corrected account is the account too
        by_pk[pk].corrections = [(text if whole else "", moment) for _, text, moment in rows]
    actions = Action.objects.order_by("occurred_at", "id").values_list(*ACTION_BRIEF_FIELDS)
    for pk, rows in _by_incident(entries, "actions", actions, itemgetter(0)).items():
        by_pk[pk].action_briefs = [
            {
                "author": User.name_of(*name),
                "occurred_at": occurred_at,
                "text": text,
                "add_to_linked_students": to_linked,
            }
            for _, text, occurred_at, to_linked, *name in rows
        ]
    if with_links:
        links = _by_incident(entries, "links", related_rows("links"), attrgetter("incident_id"))
        for pk, rows in links.items():
            by_pk[pk].linked_students = [link.student for link in rows]


# What a chronology entry reads of its incident, reporter and student.
ENTRY_COLUMNS = (
    "pk",
    "text",
    "occurred_at",
    "snapshot",
    *(f"reporter__{field}" for field in NAME_FIELDS),
    "student_id",
    *(f"student__{field}" for field in LABEL_FIELDS),
)

# What a page's statement reads before `ENTRY_COLUMNS`: the chronology's total and the entries
# above the viewer's rank (the same on every row), and the chronology's student's part of the
# entry when they are a linked student (`ChronologyEntry.as_part_of`; nothing on their own).
PAGE_COLUMNS = ("total", "above", "part__note", "part__share_whole_entry")


@dataclass(frozen=True)
class Position:
    """Where a page of a chronology starts: after (`older`) or before (`newer`) an entry, by the
    entry's time and id, the order the chronology is listed in. Written in a link as
    "<microseconds since 1970>.<id>": a position, not a record (no lookup, nothing to refuse)."""

    direction: str  # "older" or "newer"
    at: datetime.datetime
    pk: int

    EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

    @classmethod
    def of(cls, entry: "ChronologyEntry") -> str:
        micros = (entry.occurred_at - cls.EPOCH) // datetime.timedelta(microseconds=1)
        return f"{micros}.{entry.pk}"

    @classmethod
    def parse(cls, query) -> "Position | None":
        """The position a page's query asks for (`older` or `newer`); None for the first page,
        including when what is asked for is not a position."""
        for direction in ("older", "newer"):
            micros, _, pk = query.get(direction, "").partition(".")
            if is_id(pk) and micros.lstrip("-").isdigit() and len(micros) <= 18:
                try:
                    at = cls.EPOCH + datetime.timedelta(microseconds=int(micros))
                except OverflowError:
                    return None
                return cls(direction, at, int(pk))
        return None

    def bound(self, entries: QuerySet) -> QuerySet:
        if self.direction == "older":
            return entries.filter(
                Q(occurred_at__lt=self.at) | Q(occurred_at=self.at, pk__lt=self.pk)
            )
        return entries.filter(Q(occurred_at__gt=self.at) | Q(occurred_at=self.at, pk__gt=self.pk))


@dataclass(frozen=True)
class ChronologyPage:
    """One page of a chronology, newest first, with the positions of the pages either side."""

    entries: list
    total: int
    newer: str | None = None  # the `newer` position of the page before this one
    older: str | None = None  # the `older` position of the page after it
    # The span of time the page stands for, (after, up to): from the incident just older than
    # its last entry (exclusive) to its first entry (inclusive); None where the page is the
    # chronology's last or first. Entries of another kind (the case file's) that fall in it are
    # shown on this page, so that pages tile the whole chronology.
    after: datetime.datetime | None = None
    up_to: datetime.datetime | None = None


def chronology_page(
    chronology: Chronology, position: Position | None, per_page: int, *, with_links: bool
) -> ChronologyPage:
    """One page of a chronology, as `ChronologyEntry`s with their corrections, actions and
    (`with_links`) linked students, and the total.

    Paged by position (keyset), not by number: each half of the chronology reads, through its
    index, only the `per_page + 1` entries after (or before) the position, and the page is the
    first `per_page` of those. The total comes from the tallies kept at write time (a sum of a
    few rows, in the same statement) unless a filter narrows the list, when it is counted."""
    if chronology.empty:
        return ChronologyPage([], 0)
    relations = ("corrections", "actions", *(("links",) if with_links else ()))
    newest_first = position is None or position.direction == "older"
    order = ("-occurred_at", "-pk") if newest_first else ("occurred_at", "pk")
    halves = []
    for half in (chronology.own, chronology.linked):
        if position is not None:
            half = position.bound(half)
        entry = half.order_by(*order).annotate(entry=F("pk"), at=F("occurred_at"))
        halves.append(entry.values("entry", "at")[: per_page + 1])
    union, params = _union(halves)
    way = "DESC" if newest_first else "ASC"
    ids = RawSQL(  # noqa: S611
        f"SELECT entry FROM ({union}) entries ORDER BY at {way}, entry {way} LIMIT %s",  # noqa: S608
        (*params, per_page + 1),
    )
    # The student's own link to each entry, if any (one row at most: `linkedstudent_unique`),
    # joined in the same statement: their part costs no query.
    part = FilteredRelation("links", condition=Q(links__student=chronology.student))
    rows = (
        with_presence(Incident.objects.annotate(**_totals(chronology), part=part), relations)
        .filter(pk__in=ids)
        .order_by("-occurred_at", "-id")
        .values_list(*PAGE_COLUMNS, *ENTRY_COLUMNS, *(f"has_{r}" for r in relations))
    )
    found = list(rows)
    if not found:
        if position is not None:  # past either end (an old link): the first page instead
            return chronology_page(chronology, None, per_page, with_links=with_links)
        return ChronologyPage([], 0)
    more = len(found) > per_page
    # Newest first, the row past the page is the incident just older than its last entry.
    beyond = found[per_page] if newest_first and more else None
    found = found[:per_page] if newest_first else found[-per_page:]
    shown = []
    for _, _, note, whole, *row in found:
        entry = ChronologyEntry.from_row(row, relations)
        if entry.student_id != chronology.student.pk:
            entry.as_part_of(note, whole)
        shown.append(entry)
    read_entry_lists(shown, with_links=with_links)
    total, above = found[0][0] or 0, found[0][1] or 0
    if above:
        total += _visible_above(chronology)
    has_newer = position is not None and (position.direction == "older" or more)
    has_older = more if newest_first else True
    if newest_first:
        after = beyond[len(PAGE_COLUMNS) + ENTRY_COLUMNS.index("occurred_at")] if beyond else None
    else:
        after = position.at  # the entry this page was reached from, just older than its last
    return ChronologyPage(
        shown,
        total,
        newer=Position.of(shown[0]) if has_newer else None,
        older=Position.of(shown[-1]) if has_older else None,
        after=after,
        up_to=shown[0].occurred_at if has_newer else None,
    )


def _union(halves: list[QuerySet]) -> tuple[str, tuple]:
    """The halves of a chronology as one UNION, each read whole first (so that each keeps its
    own ORDER BY and LIMIT), with their parameters apart: Django's own SQL, nothing typed in it."""
    parts = [half.query.sql_with_params() for half in halves]
    union = " UNION ".join(f"SELECT * FROM ({sql}) half" for sql, _ in parts)  # noqa: S608
    return union, tuple(param for _, params in parts for param in params)


def _totals(chronology: Chronology) -> dict:
    """The chronology's total as annotations of the page's statement: from the tallies (`total`
    up to the viewer's rank; `above` it, counted apart when there are any: entries the viewer
    sees by their own alert or as the recent reporter), or, filtered, counted."""
    if chronology.filtered:
        both = (chronology.own, chronology.linked)
        union, params = _union([half.order_by().values("pk") for half in both])
        counted = RawSQL(f"SELECT COUNT(*) FROM ({union}) entries", params)  # noqa: S608, S611
        return {"total": counted, "above": Value(0)}
    tallies = ChronologyTally.objects.filter(student=chronology.student).values("student")
    summed = tallies.annotate(entries_sum=Sum("entries")).values("entries_sum")
    rank = chronology.key_rank
    return {
        "total": Subquery(summed.filter(required_rank__lte=rank)),
        "above": Subquery(summed.filter(required_rank__gt=rank)),
    }


def _visible_above(chronology: Chronology) -> int:
    """Entries above the viewer's rank that they may open all the same (their own unread alert,
    or recorded by them this week): counted, as the tallies cannot know them."""
    rank = chronology.key_rank
    own = chronology.own.filter(required_rank__gt=rank).order_by().values("pk")
    linked = chronology.linked.filter(required_rank__gt=rank).order_by().values("pk")
    return own.union(linked).count()


def students_about(incident: Incident) -> list:
    """The students an incident's text is about: its own, then its linked students."""
    return [incident.student, *(link.student for link in incident.links.all())]


# What Viewing Incident shows of the incident's alerts: who sent and received each, and when.
RECEIPT_COLUMNS = (
    "incident_id",
    "action_id",
    "created_at",
    "read_at",
    *PEOPLE_NAME_COLUMNS,
)


@dataclass
class AlertsOnPage:
    """Viewing Incident's alerts: the viewer's own unread alert, and the receipts (everyone
    alerted and who has read it) when the viewer may see them."""

    alert: Alert | None
    receipts: list[Alert]
    receipts_shown: bool


def alerts_on_page(viewer: Viewer, incident: Incident) -> AlertsOnPage:
    """Who was alerted and who has read it: for those who see the incident by their key. The
    viewer's own unread alert comes from the same rows (one query either way)."""
    shown = INCIDENTS.can(viewer, "see_receipts", incident)
    alerts = (
        Alert.objects.filter(incident=incident)
        .select_related("sender", "recipient")
        .only(*RECEIPT_COLUMNS)
        .order_by("created_at")
    )
    if not shown:
        alerts = alerts.filter(recipient=viewer.user, read_at__isnull=True)
    alerts = list(alerts)
    alert = next(
        (a for a in alerts if a.recipient_id == viewer.user.pk and a.read_at is None), None
    )
    return AlertsOnPage(alert=alert, receipts=alerts if shown else [], receipts_shown=shown)


def alerted_about(incident: Incident) -> list[User]:
    """Everyone alerted to the incident (not to its actions) who is still active, first alerted
    first: Add Action offers to alert them, with whoever recorded it."""
    return [
        alert.recipient
        for alert in incident.alerts.filter(action__isnull=True, recipient__is_active=True)
        .select_related("recipient__access_level")
        .order_by("created_at", "pk")
    ]


def students_chosen(values) -> list[Student]:
    """The students a form's field holds (ids as typed), of the school in scope: none for no id."""
    ids = [str(value) for value in values if is_id(value)]
    return list(Student.objects.filter(pk__in=ids)) if ids else []


def student_chosen(value) -> Student | None:
    """The student a form's field holds (an id as typed), of the school in scope, or None."""
    if not is_id(value):
        return None
    return Student.objects.filter(pk=value).first()


def files_chosen(user, ids) -> list[Attachment]:
    """Files the user uploaded to a form that was not sent (not yet on any incident or action)."""
    ids = [str(pk) for pk in ids if is_id(pk)]
    chosen = Attachment.objects.filter(
        pk__in=ids, uploaded_by=user, incident__isnull=True, action__isnull=True
    )
    return list(chosen) if ids else []


def main_categories() -> list[Category]:
    """The school's main categories (no subcategories), in the school's order."""
    return list(Category.objects.filter(parent__isnull=True).order_by("position", "name"))


def required_rank_of(category_ids) -> int | None:
    """The rank an incident with these categories would need, as Add Incident fixes it when the
    incident is saved: the highest of its categories'. None when none are given."""
    ids = [pk for pk in category_ids if is_id(pk)]
    ranks = Category.objects.filter(pk__in=ids).values_list("access_level__rank", flat=True)
    ranks = list(ranks) if ids else []
    return max(ranks) if ranks else None


def with_normally(users: QuerySet[User], incident) -> QuerySet[User]:
    """`users`, each with `normally`: whether they would normally be able to view `incident`
    (an incident or an `IncidentShape`): the red names under "Alert Staff Members"."""
    normally = INCIDENTS.users_who_can("open", incident).filter(pk=OuterRef("pk"))
    return users.annotate(normally=Exists(normally))
