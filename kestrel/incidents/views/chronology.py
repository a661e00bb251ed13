"""A student's chronology: every incident about them that the viewer may see, newest first."""

from django.shortcuts import render
from django.urls import reverse

from kestrel.access.decorators import requires
from kestrel.access.policies import Viewer
from kestrel.audit.forms import TrailFilterForm
from kestrel.audit.services import record
from kestrel.casefile import selectors as casefile
from kestrel.casefile.models import CORRECTABLE
from kestrel.incidents import selectors
from kestrel.paths import path_to
from kestrel.students.doors import get_student_for_user
from kestrel.students.names import NamesShown

CHRONOLOGY_PAGE_SIZE = 25


@requires("view_chronology")
def chronology(request, pk):
    """A student's chronology: every incident about them that the viewer may see, newest first."""
    student = get_student_for_user(request, pk, "chronology")
    categories = selectors.main_categories()
    category_id = request.GET.get("category", "")
    chosen = next((c for c in categories if str(c.pk) == category_id), None)
    asked = any(key.startswith(("start", "end")) for key in request.GET)
    dates = TrailFilterForm(request.GET if asked else None)
    period = dates.cleaned_data if asked and dates.is_valid() else {}
    incidents = selectors.chronology(
        Viewer.of(request),
        student,
        category=chosen,
        start=period.get("start"),
        end=period.get("end"),
    )
    invalid = asked and not dates.is_valid()
    if invalid:
        incidents = incidents.none()  # the form says what to correct; nothing is listed
    names = NamesShown.of(request)
    position = selectors.Position.parse(request.GET)
    page = selectors.chronology_page(
        incidents, position, CHRONOLOGY_PAGE_SIZE, with_links=names.hidden
    )
    entries, case_entries = _entries(request, student, page, names, chosen, period, invalid=invalid)
    record(action="chronology.viewed", request=request, obj=student, student=student)
    return render(
        request,
        "students/chronology.html",
        {
            "student": student,
            "label": names.label(student),
            "page": page,
            "entries": entries,
            "case_entries": case_entries,
            "categories": categories,
            "chosen": chosen,
            "form": dates,
        },
    )


def _entry(entry, student, names: NamesShown) -> dict:
    """One incident of the chronology as flat values: the template looks each up once (a lookup
    through objects costs more)."""
    shown = names.texts_about([entry.student, *entry.linked_students] if names.hidden else [])
    linked = entry.student_id != student.pk
    text, occurred_at = entry.current_version()
    return {
        "incident": entry,
        "at": entry.occurred_at,
        "url": entry.url,
        "linked_label": names.label(entry.student) if linked else "",
        "occurred_at": occurred_at,
        "corrected": bool(entry.corrections),
        "reporter": entry.reporter_name,
        "categories": ", ".join(entry.category_labels),
        # On a linked student's file, their part: the note for them, and the account only when
        # the whole entry is shared with them (the selector has not read it otherwise).
        "text": shown(text) if entry.whole else "",
        "note": shown(entry.note) if linked else "",
        "part_only": linked and not entry.whole,
        "shared_whole": linked and entry.whole,
        "actions": [
            {**brief, "text": shown(brief["text"])} if names.hidden else brief
            for brief in entry.action_briefs
            # On a linked student's chronology, only actions added "to linked students".
            if not linked or brief["add_to_linked_students"]
        ],
    }


def _entries(request, student, page, names, chosen=None, period=None, *, invalid=False):
    """The page's incidents with the case file's entries (statuses, referrals, decisions, ...)
    that fall in its span of time, newest first, and how many of those there are. Filtered by
    category, only the case entries made on the incidents shown."""
    events = []
    if not invalid:
        period = period or {}
        events = casefile.case_events(
            Viewer.of(request),
            student,
            after=page.after,
            before=page.up_to,
            start=period.get("start"),
            end=period.get("end"),
            incidents=[entry.pk for entry in page.entries] if chosen else None,
        )
    shown = names.texts_about([student])
    entries = _merged(
        [_entry(entry, student, names) for entry in page.entries],
        [_case_entry(event, shown) for event in events],
    )
    return entries, len(events)


def _case_entry(event, shown) -> dict:
    """A case-file entry of the chronology as flat values, like `_entry` (`shown` masks the
    student's names under Hide Names)."""
    return {
        "case_event": True,
        "at": event.happened_at,
        "on": event.happened_on,
        "recorded_at": event.recorded_at,
        "summary": shown(event.summary),
        "detail": shown(event.detail),
        "author": event.author_name,
        "role": event.author_role,
        # Received with the child's file from their last school: read-only, labelled with it.
        "source": event.source_school,
        "incident_url": path_to("incidents:view", event.incident_id) if event.incident_id else "",
        "correct_url": reverse(
            "case_pages:correct", args=[event.student_id, event.record_type, event.record_id]
        )
        if event.record_type in CORRECTABLE
        else "",
    }


def _merged(incidents: list[dict], events: list[dict]) -> list[dict]:
    """Both kinds of entry in one list, newest first (a case entry before an incident of the
    same moment: it was written about what came before it)."""
    return sorted(
        [*incidents, *events],
        key=lambda entry: (entry["at"], "case_event" in entry),
        reverse=True,
    )


def first_entries(request, student, count: int) -> tuple[list[dict], object]:
    """The newest `count` incidents of the student's chronology with the case file's entries
    among them, as the chronology shows them (the student's page), and the page they are."""
    names = NamesShown.of(request)
    incidents = selectors.chronology(Viewer.of(request), student)
    page = selectors.chronology_page(incidents, None, count, with_links=names.hidden)
    return _entries(request, student, page, names)[0], page
