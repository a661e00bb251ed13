"""Drafts of Add Incident: what was typed, kept on the server until the incident is added."""

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from kestrel.ids import is_id
from kestrel.incidents.models import SUBMISSION_LENGTH, Draft, Incident

# The form's own fields; anything else sent is ignored.
FIELDS = {
    "student",
    "text",
    "child_words",
    "present",
    "categories",
    "linked_students",
    "markers",
    "occurred_on_0",
    "occurred_on_1",
    "occurred_on_2",
    "occurred_time",
    "encompass",
    "encompass_reference",
    "encompass_abuse_on_0",
    "encompass_abuse_on_1",
    "encompass_abuse_on_2",
    "encompass_abuse_time",
    "encompass_received_on_0",
    "encompass_received_on_1",
    "encompass_received_on_2",
    "encompass_received_time",
    "encompass_child_present",
    "encompass_support",
    "prevent_said_or_done",
    "prevent_where_and_when",
    "prevent_ideology",
    "prevent_online_activity",
    "prevent_immediate_risk",
    "prevent_who_else_knows",
    "alert_staff",
    "alert_groups",
    "agencies",
    "files",
    "link_monitor",
    "link_share",
    "link_whole",
}
LISTS = {
    "categories",
    "linked_students",
    "alert_staff",
    "alert_groups",
    "agencies",
    "files",
    "link_monitor",
    "link_share",
    "link_whole",
}
MAX_TEXT = 100_000
# The form's dates, each sent as three fields (<name>_0, _1 and _2: day, month and year).
DATES = ("occurred_on", "encompass_abuse_on", "encompass_received_on")


def save_draft(*, actor, post) -> Draft | None:
    """Keeps what the form holds now; an empty form keeps nothing."""
    submission = str(post.get("submission", ""))
    if not submission or len(submission) > SUBMISSION_LENGTH:
        return None  # not a key the page gave: the form refuses it too
    data = {}
    for name in FIELDS:
        if name in LISTS:
            values = [str(value)[:20] for value in post.getlist(name)][:200]
            if values:
                data[name] = values
        elif post.get(name):
            data[name] = str(post.get(name)).replace("\x00", "")[:MAX_TEXT]
    data.update(link_notes(post, linked=data.get("linked_students", [])))
    if not any(
        data.get(name) for name in ("text", "child_words", "student", "categories", "markers")
    ):
        return None
    with transaction.atomic():
        draft, _ = Draft.objects.update_or_create(
            author=actor,
            submission=submission,
            defaults={"school": actor.school, "data": data, "updated_at": timezone.now()},
        )
    return draft


def link_notes(fields, linked=None) -> dict[str, str]:
    """The notes for linked students' files among `fields` (`link_note_<student id>`), of the
    students `linked` (ids as text; all of them when not given), as typed, NUL removed."""
    notes = {}
    for name in fields:
        pk = name.removeprefix("link_note_")
        if name.startswith("link_note_") and is_id(pk) and (linked is None or pk in linked):
            note = str(fields.get(name)).replace("\x00", "")[:MAX_TEXT]
            if note:
                notes[name] = note
    return notes


def drafts_of(actor):
    """The actor's unfinished incidents: drafts whose incident has not been added."""
    return Draft.objects.filter(author=actor, school=actor.school).exclude(Exists(added()))


def added() -> QuerySet[Incident]:
    """The incident made from a draft (an outer draft row), if it has been added: its submission
    key is the author's id and the form's submission. Such a draft is a copy, no longer offered
    from the commit on, removed soon after by the worker (or, failing that, by `tidy`)."""
    return Incident.objects.filter(
        submission_key=Concat(
            Cast(OuterRef("author_id"), CharField()), Value(":"), OuterRef("submission")
        )
    )


def discard(*, actor, submission: str) -> None:
    Draft.objects.filter(author=actor, submission=submission).delete()


def as_post(draft: Draft) -> dict:
    """The draft as form data, to fill the form again."""
    return {**draft.data, "submission": draft.submission}


def to_resume(*, actor, submission: str) -> tuple[Draft | None, bool]:
    """The actor's unfinished incident with this submission key, to fill the form again, and
    whether asking for it is refused: the key is not one of the actor's drafts (someone
    else's, or none)."""
    draft = drafts_of(actor).filter(submission=submission).first()
    if draft is not None:
        return draft, False
    return None, not Draft.objects.filter(author=actor, submission=submission).exists()


def others(actor, submission) -> list[Draft]:
    """The actor's other unfinished incidents (up to 5), offered below the form."""
    return list(drafts_of(actor).exclude(submission=submission)[:5])
