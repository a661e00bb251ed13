"""Export this file: a key holder asks for a PDF of the child's whole file, watches it being
made and downloads it. Each export is its requester's alone."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kestrel.access.decorators import requires
from kestrel.exports import selectors, services
from kestrel.exports.models import State
from kestrel.ids import is_id
from kestrel.students.doors import get_student_for_user
from kestrel.students.names import NamesShown


@requires("keep_case_file")
@require_http_methods(["GET", "POST"])
def export(request, pk):
    """The page: choose the whole file or the redacted variant; the exports asked for, with the
    progress of any being made (polled by htmx) and a download for each made."""
    student = get_student_for_user(request, pk, "case_file")
    if request.method == "POST":
        services.request_export(
            actor=request.user,
            student=student,
            redacted=request.POST.get("variant") == "redacted",
            request=request,
        )
        return redirect("exports:export", pk=pk)
    names = NamesShown.of(request)
    exports = selectors.exports_for(request.user, student)
    context = {
        "student": student,
        "label": names.label(student),
        "exports": exports,
        "working": any(made.is_working for made in exports),
        "redacted_first": names.hidden,
    }
    if request.htmx and request.GET.get("progress"):
        return render(request, "exports/_exports.html", context)
    return render(request, "exports/export.html", context)


@requires("keep_case_file")
def download(request, pk):
    """The PDF of one of the requester's exports of this child (the newest made, unless
    `?export=` names one), or with `?files=1` the ZIP of its attached files; recorded in the
    audit trail."""
    student = get_student_for_user(request, pk, "case_file")
    chosen = request.GET.get("export", "")
    if chosen:
        made = selectors.export_for(request.user, student, chosen) if is_id(chosen) else None
    else:
        made = selectors.newest_done(request.user, student)
    files = request.GET.get("files") == "1"
    if made is None or made.state != State.DONE:
        raise Http404("No such export")
    if not (made.files_stored_name if files else made.stored_name):
        raise Http404("No such export")
    pieces = services.open_for_download(
        actor=request.user, export=made, files=files, request=request
    )
    variant = "-redacted" if made.redacted else ""
    day = made.created_at.date().isoformat()
    name = f"child-protection-file-{student.pk}-{day}{variant}"
    response = StreamingHttpResponse(
        pieces, content_type="application/zip" if files else "application/pdf"
    )
    response["Content-Length"] = str(made.files_size if files else made.size)
    suffix = "-attached-files.zip" if files else ".pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}{suffix}"'
    return response
