"""A student's chronology: every incident about them that the viewer may see, newest first."""

from django.shortcuts import render

from kestrel.access.decorators import requires
from kestrel.access.policies import Viewer
from kestrel.audit.forms import TrailFilterForm
from kestrel.audit.services import record
from kestrel.incidents import selectors
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
    if asked and not dates.is_valid():
        incidents = incidents.none()  # the form says what to correct; nothing is listed
    names = NamesShown.of(request)
    position = selectors.Position.parse(request.GET)
    page = selectors.chronology_page(
        incidents, position, CHRONOLOGY_PAGE_SIZE, with_links=names.hidden
    )
    record(action="chronology.viewed", request=request, obj=student, student=student)
    return render(
        request,
        "students/chronology.html",
        {
            "student": student,
            "label": names.label(student),
            "page": page,
            "entries": [_entry(entry, student, names) for entry in page.entries],
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
        "url": entry.url,
        "linked_label": names.label(entry.student) if linked else "",
        "occurred_at": occurred_at,
        "corrected": bool(entry.corrections),
        "reporter": entry.reporter_name,
        "categories": ", ".join(entry.category_labels),
        "text": shown(text),
        "actions": [
            {**brief, "text": shown(brief["text"])} if names.hidden else brief
            for brief in entry.action_briefs
            # On a linked student's chronology, only actions added "to linked students".
            if not linked or brief["add_to_linked_students"]
        ],
    }
