"""The DSL's audit pages: who has viewed a student's records, and what a colleague has viewed."""

from django.core.paginator import Paginator
from django.shortcuts import render

from kestrel.access.decorators import requires
from kestrel.accounts.selectors import colleagues_matching
from kestrel.audit.forms import FindPersonForm, TrailFilterForm
from kestrel.audit.selectors import describe, staff_trail, student_trail
from kestrel.audit.services import record, record_student_search
from kestrel.audit_pages.doors import get_colleague_for_user
from kestrel.search import MIN_CHARACTERS
from kestrel.students.doors import get_student_for_user
from kestrel.students.selectors import students_matching

PAGE_SIZE = 50


@requires("view_audit_trail")
def index(request):
    form = FindPersonForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    students = staff = []
    if len(query) >= MIN_CHARACTERS:
        # As the type-ahead finds them: ignoring accents, through the trigram index.
        students = students_matching(query)
        staff = colleagues_matching(query)
        record_student_search(request, query, len(students))
    return render(
        request,
        "audit/index.html",
        {"form": form, "query": query, "students": students, "staff": staff},
    )


def _filter_form(request) -> tuple[TrailFilterForm, dict | None]:
    """The date filter; None for the dates when they cannot be read (then nothing is listed)."""
    asked = any(key.startswith(("start", "end")) for key in request.GET)
    form = TrailFilterForm(request.GET if asked else None)
    if not asked:
        return form, {}
    return form, (form.cleaned_data if form.is_valid() else None)


def _trail_page(request, events):
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"event": event, "what": describe(event.action)} for event in page]
    return page, rows


def _trail(request, selector, **whose):
    """The trail chosen by `selector`, filtered by the From/To dates (none if unreadable)."""
    form, dates = _filter_form(request)
    events = selector(
        start=(dates or {}).get("start"),
        end=(dates or {}).get("end"),
        **whose,
    )
    if dates is None:
        events = events.none()
    page, rows = _trail_page(request, events)
    return {"form": form, "page": page, "rows": rows}


@requires("view_audit_trail")
def student(request, pk):
    child = get_student_for_user(request, pk, "audit_trail")
    context = _trail(request, student_trail, student=child)
    record(action="audit.student_viewed", request=request, obj=child, student=child)
    return render(request, "audit/student.html", {**context, "child": child})


@requires("view_audit_trail")
def staff(request, pk):
    colleague = get_colleague_for_user(request, pk, "audit_trail")
    context = _trail(request, staff_trail, staff=colleague)
    record(action="audit.staff_viewed", request=request, obj=colleague)
    return render(request, "audit/staff.html", {**context, "colleague": colleague})
