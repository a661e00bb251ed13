"""Reading a child's key facts: the front sheet (the current contacts, professionals and notes)
and the history of every change, each in a fixed number of queries."""

from dataclasses import dataclass
from itertools import pairwise

from django.db.models import Exists, OuterRef, QuerySet

from kestrel.key_facts.models import (
    Change,
    ContactVersion,
    NotesVersion,
    ProfessionalVersion,
)


def _newest(versions: QuerySet, owner: str) -> QuerySet:
    """Of `versions`, each owner's newest (no later version of the same owner exists)."""
    later = versions.model.objects.filter(
        **{owner: OuterRef(owner), "number__gt": OuterRef("number")}
    )
    return versions.filter(~Exists(later))


def current_contacts(student) -> QuerySet[ContactVersion]:
    """The child's contacts still involved, as their newest versions: people with parental
    responsibility first, then in the order to contact them."""
    versions = ContactVersion.objects.filter(contact__student=student)
    return (
        _newest(versions, "contact")
        .filter(ended=False)
        .order_by("-parental_responsibility", "priority", "name", "contact_id")
    )


def current_professionals(student) -> QuerySet[ProfessionalVersion]:
    """The professionals still involved with the child, as their newest versions, by role."""
    versions = ProfessionalVersion.objects.filter(professional__student=student)
    return _newest(versions, "professional").filter(ended=False).order_by("role", "name")


def current_notes(student) -> NotesVersion | None:
    return NotesVersion.objects.filter(student=student).order_by("-number").first()


def contact_for(student, pk: int) -> ContactVersion | None:
    """The newest version of the child's contact `pk` (ended or not), or None if the child has
    no such contact."""
    version = (
        ContactVersion.objects.filter(contact__student=student, contact_id=pk)
        .select_related("contact")
        .order_by("-number")
        .first()
    )
    if version is not None:
        version.contact.student = student  # known already: not read again
    return version


def professional_for(student, pk: int) -> ProfessionalVersion | None:
    """The newest version of the child's professional `pk` (ended or not), or None."""
    version = (
        ProfessionalVersion.objects.filter(professional__student=student, professional_id=pk)
        .select_related("professional")
        .order_by("-number")
        .first()
    )
    if version is not None:
        version.professional.student = student
    return version


@dataclass
class FrontSheet:
    """What `key_facts/_front_sheet.html` shows, in its context as `key_facts`."""

    student: object
    contacts: list[ContactVersion]
    professionals: list[ProfessionalVersion]
    notes: NotesVersion | None

    @property
    def notes_version(self) -> int:
        return self.notes.number if self.notes else 0


def front_sheet(student, *, names=None) -> FrontSheet:
    """The child's key facts as the case file's front sheet shows them (three queries). With
    `names` (the request's `NamesShown`) under Hide Names, students' names in the facts are
    starred (the father "Mark Greenwood" of Hannah Greenwood shows as "Mark *****")."""
    sheet = FrontSheet(
        student=student,
        contacts=list(current_contacts(student)),
        professionals=list(current_professionals(student)),
        notes=current_notes(student),
    )
    if names is not None and names.hidden:
        shown = names.texts_about([student])
        for version in [*sheet.contacts, *sheet.professionals, *filter(None, [sheet.notes])]:
            _mask(version, shown)
    return sheet


# The fields that may hold a student's name. The versions masked are only shown, never saved.
MASKED = ("name", "relationship", "address", "email", "do_not_contact_reason", "other_role", "text")


def _mask(version: Change, shown) -> None:
    for name in MASKED:
        if name in version.FIELDS:
            setattr(version, name, shown(getattr(version, name)))


@dataclass
class HistoryEntry:
    """One saved change: to what, by whom, when, and each field's old and new value."""

    kind: str  # "contact", "professional" or "notes"
    what: str  # "Added", "Changed" or "No longer involved"
    subject: str
    version: Change
    changes: list[tuple[str, str, str]]

    @property
    def changed_at(self):
        return self.version.changed_at

    @property
    def changed_by(self) -> str:
        return self.version.changed_by_label


def differences(old: Change | None, new: Change) -> list[tuple[str, str, str]]:
    """(label, old value, new value) for each field `new` changed from `old` (from nothing if
    `old` is None; then only the fields with a value)."""
    rows = []
    for name in new.FIELDS:
        before = old.shown(name) if old is not None else ""
        after = new.shown(name)
        if old is None and after in ("", "No"):
            continue
        if before != after:
            rows.append((new.label(name), before, after))
    return rows


def _entries(kind: str, versions, owner: str, subject) -> list[HistoryEntry]:
    entries = []
    by_owner: dict[int, list] = {}
    for version in versions:
        by_owner.setdefault(getattr(version, owner), []).append(version)
    for chain in by_owner.values():
        for old, new in pairwise([None, *chain]):
            if old is None:
                what = "Added"
            elif getattr(new, "ended", False):
                what = "No longer involved"
            else:
                what = "Changed"
            entries.append(HistoryEntry(kind, what, subject(new), new, differences(old, new)))
    return entries


def history(student, *, names=None) -> list[HistoryEntry]:
    """Every change to the child's key facts, newest first (three queries). With `names` under
    Hide Names, students' names in it are starred."""
    contacts = ContactVersion.objects.filter(contact__student=student).order_by(
        "contact_id", "number"
    )
    professionals = ProfessionalVersion.objects.filter(professional__student=student).order_by(
        "professional_id", "number"
    )
    notes = NotesVersion.objects.filter(student=student).order_by("number")
    entries = [
        *_entries("contact", contacts, "contact_id", lambda v: f"Contact: {v.name}"),
        *_entries(
            "professional",
            professionals,
            "professional_id",
            lambda v: f"Professional: {v.name} ({v.role_label})",
        ),
        *_entries("notes", notes, "student_id", lambda v: "Notes"),
    ]
    entries.sort(key=lambda entry: (entry.changed_at, entry.version.pk), reverse=True)
    if names is not None and names.hidden:
        shown = names.texts_about([student])
        for entry in entries:
            entry.subject = shown(entry.subject)
            entry.changes = [(label, shown(old), shown(new)) for label, old, new in entry.changes]
    return entries
