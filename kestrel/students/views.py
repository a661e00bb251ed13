"""Student pages: Students (finding a child), the type-ahead, and the Hide Names switch. (A
student's chronology, which lists incidents, is `kestrel.incidents.views.chronology`.)"""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.access.redirects import safe_next
from kestrel.audit.services import record, record_student_search
from kestrel.search import MIN_CHARACTERS
from kestrel.students.forms import FindStudentForm
from kestrel.students.names import NamesShown, switch_hide_names
from kestrel.students.selectors import search_students


@requires("signed_in")
@require_POST
def hide_names(request):
    """The guide's Hide Names button; pressed again (now "Show Names") it shows them."""
    hidden = switch_hide_names(request)
    record(action="names.hidden" if hidden else "names.shown", request=request)
    return redirect(safe_next(request))


STUDENTS_SHOWN = 50


@requires("view_chronology")
def index(request):
    """Students: the DSL team finds a child by name, UPN or registration group, on roll or left,
    and opens their chronology."""
    form = FindStudentForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    students = list(search_students(query=query, limit=STUDENTS_SHOWN + 1))
    record_student_search(request, query, len(students[:STUDENTS_SHOWN]))
    return render(
        request,
        "students/index.html",
        {
            "form": form,
            "query": query,
            "too_short": 0 < len(query) < MIN_CHARACTERS,
            "min_characters": MIN_CHARACTERS,
            "students": students[:STUDENTS_SHOWN],
            "more": len(students) > STUDENTS_SHOWN,
        },
    )


@requires("signed_in")
def search(request):
    """Type-ahead results for choosing a student; names are starred out under Hide Names."""
    query = request.GET.get("q", "")[:100].replace("\x00", "")
    students = list(search_students(query=query))
    names = NamesShown.of(request)
    record_student_search(request, query, len(students))
    return JsonResponse(
        {
            "results": [
                {
                    "id": student.pk,
                    "label": names.label(student),
                    "left": not student.on_roll,
                }
                for student in students
            ]
        }
    )
