"""The staff training log's pages: for the school's administrator and the DSL team (each member
of staff sees their own training on Account Settings). Every list and export is recorded in the
audit trail when it is viewed."""

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from kestrel.access.decorators import requires
from kestrel.access.policy import allows
from kestrel.access.refusals import get_for_user
from kestrel.audit.services import record
from kestrel.files.errors import Refused
from kestrel.training import selectors, services
from kestrel.training.forms import (
    CertificateForm,
    ImportFileForm,
    JoiningDateForm,
    RemoveForm,
    TrainingRecordForm,
)
from kestrel.training.models import TrainingImport
from kestrel.training_pages import importing, spreadsheets


def _viewed(request, action: str, **detail) -> None:
    record(action=action, request=request, school=request.school, detail=detail)


def _staff(request, pk):
    return get_for_user(request, selectors.school_staff(request.school), kind="staff", pk=pk)


def _record(request, pk, *, manages=True, with_certificate=False):
    rows = selectors.visible_records(
        request.user, manages=manages, with_certificate=with_certificate
    )
    return get_for_user(request, rows, kind="training_record", pk=pk)


@requires("manage_training")
def overview(request):
    """Overdue and due soon, by member of staff and by training; `?training=` narrows to one."""
    compliance = selectors.compliance(request.school)
    chosen = request.GET.get("training", "")
    chosen = chosen if chosen in {str(r.pk) for r in compliance.requirements} else ""

    def narrowed(rows):
        return [row for row in rows if not chosen or str(row.requirement.pk) == chosen]

    _viewed(request, "training.overview_viewed", training=chosen)
    return render(
        request,
        "training_pages/overview.html",
        {
            "compliance": compliance,
            "tally": compliance.tally(),
            "overdue": narrowed(compliance.overdue()),
            "due_soon": narrowed(compliance.due_soon()),
            "by_requirement": compliance.by_requirement(),
            "chosen": chosen,
            "can_configure_school": allows(request, "configure_school"),
        },
    )


@requires("manage_training")
def staff_list(request):
    """Every active member of staff with how much of their training is overdue, due soon or up
    to date."""
    summaries = selectors.compliance(request.school).by_staff()
    _viewed(request, "training.staff_list_viewed", staff=len(summaries))
    return render(request, "training_pages/staff_list.html", {"summaries": summaries})


@requires("manage_training")
def staff(request, pk):
    """One member of staff's training: what applies to them, when it is due, what they did."""
    person = _staff(request, pk)
    standings = selectors.compliance(request.school, staff_ids=[person.pk]).standings
    records = list(selectors.records_of(person))
    record(action="training.staff_viewed", request=request, obj=person)
    return render(
        request,
        "training_pages/staff.html",
        {
            "person": person,
            "standings": standings,
            "records": records,
            "joined_on": selectors.joined_on(person),
        },
    )


@requires("manage_training")
@require_http_methods(["GET", "POST"])
def record_training(request, pk):
    person = _staff(request, pk)
    form = TrainingRecordForm(
        request.POST or None,
        request.FILES or None,
        requirements=selectors.requirement_choices(request.school),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_training(
                actor=request.user,
                staff=person,
                requirement=form.requirement,
                course=form.cleaned_data["course"],
                completed_on=form.cleaned_data["completed_on"],
                provider=form.cleaned_data["provider"],
                certificate=form.cleaned_data["certificate"],
                request=request,
            )
        except services.AlreadyRecorded:
            form.add_error("training", f"{person.full_name} has this training on this date.")
        except Refused as refusal:
            form.add_error("certificate", str(refusal))
        else:
            messages.success(request, f"Training recorded for {person.full_name}.")
            return redirect("training_pages:staff", pk=person.pk)
    context = {"person": person, "form": form, "multipart": True}
    context.update(title="Record training", button="Record training")
    return render(request, "training_pages/record.html", context)


@requires("manage_training")
@require_http_methods(["GET", "POST"])
def joined(request, pk):
    person = _staff(request, pk)
    form = JoiningDateForm(request.POST or None, initial={"joined_on": selectors.joined_on(person)})
    if request.method == "POST" and form.is_valid():
        services.set_joining_date(
            actor=request.user,
            staff=person,
            joined_on=form.cleaned_data["joined_on"],
            request=request,
        )
        messages.success(request, f"{person.full_name}’s joining date has been saved.")
        return redirect("training_pages:staff", pk=person.pk)
    context = {"person": person, "form": form, "title": "Joining date", "button": "Save"}
    return render(request, "training_pages/joined.html", context)


@requires("signed_in")
def certificate(request, pk):
    """A certificate, to the administrator and the DSL team, or to the member of staff whose
    training it is."""
    manages = allows(request, "manage_training")
    training = _record(request, pk, manages=manages, with_certificate=True)
    kept = training.certificate
    pieces = services.open_certificate(actor=request.user, training=training, request=request)
    response = StreamingHttpResponse(pieces, content_type=kept.content_type)
    response["Content-Length"] = str(kept.size)
    response["Content-Disposition"] = content_disposition_header(True, kept.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@requires("manage_training")
@require_http_methods(["GET", "POST"])
def add_certificate(request, pk):
    training = _record(request, pk)
    form = CertificateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_certificate(
                actor=request.user,
                training=training,
                upload=form.cleaned_data["certificate"],
                request=request,
            )
        except Refused as refusal:
            form.add_error("certificate", str(refusal))
        else:
            messages.success(request, f"Certificate added to {training}.")
            return redirect("training_pages:staff", pk=training.staff_id)
    context = {"training": training, "form": form, "person": training.staff, "multipart": True}
    context.update(title="Add a certificate", button="Add certificate")
    return render(request, "training_pages/add_certificate.html", context)


@requires("manage_training")
@require_http_methods(["GET", "POST"])
def remove(request, pk):
    training = _record(request, pk)
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.remove_record(
            actor=request.user,
            training=training,
            reason=form.cleaned_data["reason"],
            request=request,
        )
        messages.success(request, f"{training} has been removed from the training log.")
        return redirect("training_pages:staff", pk=training.staff_id)
    context = {"training": training, "form": form, "person": training.staff, "warning": True}
    context.update(title="Remove a training record", button="Remove record")
    return render(request, "training_pages/remove.html", context)


@requires("manage_training")
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = ImportFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = importing.start_import(
                actor=request.user, upload=form.cleaned_data["file"], request=request
            )
        except importing.FileRefused as refusal:
            form.add_error("file", str(refusal))
        else:
            return redirect("training_pages:import_preview", pk=made.pk)
    recent = selectors.imports(request.school)[:5]
    context = {"form": form, "fields": importing.FIELDS, "recent": recent}
    return render(request, "training_pages/import.html", context)


def _import(request, pk) -> TrainingImport:
    return get_for_user(request, selectors.imports(request.school), kind="training_import", pk=pk)


@requires("manage_training")
def import_preview(request, pk):
    training_import = _import(request, pk)
    rows = {outcome: [] for outcome in (services.NEW, services.ALREADY, services.REFUSED)}
    for row in training_import.rows:
        rows[row["outcome"]].append(row)
    _viewed(request, "training.import_viewed", training_import=training_import.pk)
    context = {"training_import": training_import, "rows": rows}
    return render(request, "training_pages/import_preview.html", context)


@requires("manage_training")
@require_POST
def import_confirm(request, pk):
    training_import = _import(request, pk)
    added = services.confirm_import(
        actor=request.user, training_import=training_import, request=request
    )
    messages.success(request, f"{added} training record{'s' if added != 1 else ''} added.")
    return redirect("training_pages:overview")


@requires("manage_training")
@require_POST
def import_cancel(request, pk):
    training_import = _import(request, pk)
    services.cancel_import(actor=request.user, training_import=training_import, request=request)
    messages.success(request, "The import has been cancelled: nothing was added.")
    return redirect("training_pages:import")


@requires("manage_training")
def import_refused(request, pk):
    """The refused rows as a CSV, to correct and import again."""
    training_import = _import(request, pk)
    _viewed(request, "training.import_refused_downloaded", training_import=training_import.pk)
    body = spreadsheets.refused_rows_csv(training_import)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"training-import-{training_import.pk}-refused-rows.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires("manage_training")
def compliance_csv(request):
    """Every member of staff against every requirement that applies to them, as CSV."""
    compliance = selectors.compliance(request.school)
    _viewed(request, "training.compliance_exported", rows=len(compliance.standings))
    response = HttpResponse(
        spreadsheets.compliance_csv(compliance), content_type="text/csv; charset=utf-8"
    )
    name = f"staff-training-{compliance.today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
