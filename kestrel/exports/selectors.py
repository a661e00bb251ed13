"""What a whole-file export holds, read through the same selectors (and so the same access rules)
as the child's case file page and chronology: the export shows no more than its key holder could
open page by page."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Q

from kestrel.access.policies import Viewer
from kestrel.casefile import selectors as casefile
from kestrel.exports.models import ExportRequest
from kestrel.incidents import selectors as incidents
from kestrel.incidents.models import Incident
from kestrel.key_facts.selectors import front_sheet
from kestrel.students.names import SchoolNames, display_label

# Incidents read (with their corrections, actions, links and files) a batch at a time: the
# task's progress moves on after each.
BATCH = 100

# The case file's free text that may name other children, starred in the redacted variant.
CASE_FILE_MASKED = {
    "statuses": ("start_note", "end_note", "legal_status"),
    "risks": ("reason",),
    "referrals": ("reason", "outcome", "reference"),
}


def exports_for(user, student) -> list[ExportRequest]:
    """The user's own exports of the child's file, newest first (each is theirs alone)."""
    return list(ExportRequest.objects.filter(student=student, requested_by=user)[:5])


def export_for(user, student, pk) -> ExportRequest | None:
    return ExportRequest.objects.filter(student=student, requested_by=user, pk=pk).first()


def newest_done(user, student) -> ExportRequest | None:
    return (
        ExportRequest.objects.filter(student=student, requested_by=user, state="done")
        .exclude(stored_name="")
        .first()
    )


class Redaction:
    """How the export shows text: whole, or (redacted) with every other child's names starred,
    as Hide Names stars them, the child's own kept."""

    def __init__(self, student, *, redacted: bool):
        self.student = student
        self.redacted = redacted
        self._names: SchoolNames | None = None

    def text(self, text: str, about) -> str:
        """`text` about the students `about` (the child's own names are never starred)."""
        if not self.redacted or not text:
            return text
        if self._names is None:
            rows = SchoolNames.of(self.student.school).rows
            self._names = SchoolNames(row for row in rows if row[0] != self.student.pk)
        others = [other for other in about if other.pk != self.student.pk]
        return self._names.mask(text, others)

    def label(self, other) -> str:
        """Another child's label: starred when redacted."""
        hidden = self.redacted and other.pk != self.student.pk
        return display_label(other, hidden=hidden)

    def shown(self, about) -> Callable[[str], str]:
        return lambda text: self.text(text, about)

    # As a `NamesShown` to the selectors that mask with one (the front sheet).
    @property
    def hidden(self) -> bool:
        return self.redacted

    texts_about = shown


def key_facts(student, redaction: Redaction):
    """The front sheet, its free text redacted as Hide Names masks it (the versions read are
    shown, never saved)."""
    return front_sheet(student, names=redaction)


def case_file(viewer: Viewer, student, redaction: Redaction):
    """The case file as the case file page shows it, its free text redacted."""
    file = casefile.case_file(viewer, student)
    if redaction.redacted:
        shown = redaction.shown([student])
        records = {
            "statuses": [*file.open_statuses, *file.ended_statuses],
            "risks": file.risk_history,
            "referrals": [*file.open_referrals, *file.answered_referrals],
        }
        for group, fields in CASE_FILE_MASKED.items():
            for written in records[group]:
                for name in fields:
                    setattr(written, name, shown(getattr(written, name) or ""))
    return file


def case_entries(viewer: Viewer, student, redaction: Redaction) -> list[dict]:
    """The case file's lines of the chronology, oldest first."""
    shown = redaction.shown([student])
    return [
        {
            "case_event": True,
            "at": event.happened_at,
            "on": event.happened_on,
            "recorded_at": event.recorded_at,
            "summary": shown(event.summary),
            "detail": shown(event.detail),
            "author": event.author_name,
            "role": event.author_role,
            "source": event.source_school,
        }
        for event in reversed(casefile.case_events(viewer, student))
    ]


def visible_incidents(viewer: Viewer, student) -> list[int]:
    """The ids of the child's chronology (their own incidents and those they are linked to)
    that the viewer may open, oldest first: the chronology's own selector decides."""
    chronology = incidents.chronology(viewer, student)
    if chronology.empty:
        return []
    return list(
        Incident.objects.filter(
            Q(pk__in=chronology.own.order_by().values("pk"))
            | Q(pk__in=chronology.linked.order_by().values("pk"))
        )
        .order_by("occurred_at", "pk")
        .values_list("pk", flat=True)
    )


RELATIONS = ("links", "corrections", "actions", "attachments")


def incident_batches(ids: list[int]) -> Iterator[list[Incident]]:
    """The incidents `ids` (already through the access policy), oldest first, BATCH at a time,
    each with its student, reporter, links, corrections, actions and files read."""
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        batch = list(
            incidents.with_presence(Incident.objects.filter(pk__in=chunk), RELATIONS)
            .select_related("student", "reporter")
            .order_by("occurred_at", "pk")
        )
        incidents.read_related(
            batch, {relation: incidents.related_rows(relation) for relation in RELATIONS}
        )
        yield batch


@dataclass
class Entry:
    """One incident as the export prints it."""

    incident: Incident
    linked_from: str = ""  # the other child's label, when the entry is theirs
    note: str = ""  # the note for this child's file, on a linked entry
    whole: bool = True  # the account is shown (always on the child's own entries)
    text: str = ""
    child_words: str = ""
    present: str = ""
    corrections: list[dict] = field(default_factory=list)
    markers: list = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)


def entry(incident: Incident, student, redaction: Redaction) -> Entry:
    """The incident as the child's file may show it: on a linked child's file, the note for
    them, and the account only when the whole entry is shared with them (as the chronology)."""
    links = list(incident.links.all())
    shown = redaction.shown([incident.student, *(link.student for link in links)])
    linked = incident.student_id != student.pk
    part = next((link for link in links if link.student_id == student.pk), None)
    whole = not linked or bool(part and part.share_whole_entry)
    result = Entry(
        incident=incident,
        linked_from=redaction.label(incident.student) if linked else "",
        note=shown(part.note) if linked and part else "",
        whole=whole,
    )
    actions = [
        action for action in incident.actions.all() if not linked or action.add_to_linked_students
    ]
    result.actions = [
        {
            "author": str(action.written_by),
            "occurred_at": action.occurred_at,
            "recorded_at": action.recorded_at,
            "text": shown(action.text),
            "child_words": shown(action.child_words),
            "agencies": action.agency_names,
        }
        for action in actions
    ]
    if whole:
        result.text = shown(incident.text)
        result.child_words = shown(incident.child_words)
        result.present = shown(incident.present)
        result.corrections = [
            {
                "author": correction.author.full_name,
                "at": correction.created_at,
                "text": shown(correction.text),
                "occurred_at": correction.occurred_at,
                "reason": shown(correction.reason),
            }
            for correction in incident.corrections.all()
        ]
        result.markers = incident.marker_list
        # An action's files are attached to its incident too (kestrel.files.services.attach).
        result.files = [
            {
                "pk": attachment.pk,
                "name": shown(attachment.original_name),
                "original_name": attachment.original_name,  # for the ZIP, never redacted
                "stored_name": attachment.stored_name,
                "size": attachment.size,
                "type": attachment.content_type,
                "sha256": attachment.sha256,
                "uploaded_at": attachment.uploaded_at,
            }
            for attachment in incident.attachments.all()
        ]
    return result


def exported_label(student) -> str:
    return display_label(student, hidden=False)
