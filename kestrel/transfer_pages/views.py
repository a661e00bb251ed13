"""The transfer pages: marking a child as left with where they went, the transfer of their file
(prepare it, send it by one of three routes, record the receipt), the transfer log, and the
Dashboard's reminders. For the DSL team: key holders with their key unlocked, as the case file.
Every page that shows a child is recorded in the audit trail.

The Kestrel route lives in kestrel_route.py, the download link in link_route.py, files received
from other schools in received_views.py."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.audit.services import record
from kestrel.exports.models import State as ExportState
from kestrel.key_facts.selectors import current_professionals
from kestrel.students.doors import get_student_for_user
from kestrel.students.names import NamesShown
from kestrel.transfer_pages import forms, sending
from kestrel.transfer_pages.doors import get_transfer_for_user
from kestrel.transfers import selectors, services
from kestrel.transfers.models import Destination, Route, State, Transfer

LOG_SHOWN = 200


def _transfer(request, pk) -> Transfer:
    return get_transfer_for_user(request, pk)


def _send_state(transfer: Transfer) -> tuple[bool, str]:
    """Whether the file may be sent now, and if not, why (shown instead of the routes)."""
    try:
        services.check_can_send(transfer)
    except (services.NotLeft, services.NotOpen) as refusal:
        return False, str(refusal)
    return True, ""


@requires("keep_case_file")
def transfer(request, pk):
    """One leaver's transfer: where the child went, when the file is due, and what to do next."""
    item = _transfer(request, pk)
    names = NamesShown.of(request)
    export = item.export
    can_send, refusal = _send_state(item)
    if item.state == State.DUE and not can_send:
        refusal = refusal or "The file cannot be sent yet."
    context = {
        "transfer": item,
        "student": item.student,
        "label": names.label(item.student),
        "export": export,
        "export_ready": bool(export and export.state == ExportState.DONE and export.stored_name),
        "export_working": bool(export and export.is_working),
        "can_send": can_send,
        "send_refusal": refusal,
        "today": timezone.localdate(),
        "chase": item.state == State.SENT
        and item.chase_on is not None
        and item.chase_on <= timezone.localdate(),
        "paper_form": forms.SentOnPaperForm(),
        "receipt_form": forms.PaperReceiptForm(initial={"signed_on": timezone.localdate()}),
        "informed_form": forms.InformedForm(initial={"informed_on": timezone.localdate()}),
        "cancel_form": forms.CancelForm(),
        "copy_form": forms.CopyForm(initial={"done_on": timezone.localdate()}),
        # With no school to go to: the professionals to tell besides the local authority.
        "to_tell": list(current_professionals(item.student)) if item.state == State.INFORM else [],
    }
    record(action="transfer.viewed", request=request, obj=item, student=item.student)
    if request.htmx and request.GET.get("progress"):
        if not context["export_working"]:
            # Made (or failed): the whole page changes (the ways to send it appear), not only
            # this part, as when a delivery on Kestrel ends (kestrel_route.status).
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "transfer_pages/_prepare.html", context)
    return render(request, "transfer_pages/transfer.html", context)


@requires("keep_case_file")
def transfer_log(request):
    """Every transfer out of the school: due, sent, acknowledged (date sent, sender, date
    acknowledged and acknowledger), the open ones first."""
    names = NamesShown.of(request)
    rows = list(selectors.transfer_log(request.school.pk)[: LOG_SHOWN + 1])
    more = len(rows) > LOG_SHOWN
    rows = rows[:LOG_SHOWN]
    today = timezone.localdate()
    shown = [
        {
            "transfer": row,
            "label": names.label(row.student),
            "overdue": row.state in (State.DUE, State.NEEDS_DESTINATION) and row.due_on < today,
            "chase": row.state == State.SENT and row.chase_on and row.chase_on <= today,
        }
        for row in rows
    ]
    record(
        action="transfer.log_viewed",
        request=request,
        detail={"transfers": [row.pk for row in rows]},
    )
    return render(
        request,
        "transfer_pages/log.html",
        {
            "rows": shown,
            "more": more,
            "counts": selectors.team_counts(request.school.pk),
        },
    )


def _form_page(request, item, form, *, title, button, template="transfer_pages/form.html", **extra):
    names = NamesShown.of(request)
    record(
        action="transfer.form_viewed",
        request=request,
        obj=item,
        student=item.student if item else extra.get("student"),
        detail={"page": request.resolver_match.url_name},
    )
    student = item.student if item else extra.pop("student")
    return render(
        request,
        template,
        {
            "transfer": item,
            "student": student,
            "label": names.label(student),
            "form": form,
            "title": title,
            "button": button,
        }
        | extra,
    )


@requires("keep_case_file")
def mark_left(request, pk):
    """Mark as left: the date and where the child has gone. A child with a file here gets a
    transfer due in 5 school days (or, with no destination, the task to tell the local
    authority)."""
    child = get_student_for_user(request, pk, "case_file")
    existing = services.open_transfer(child)
    if existing is not None:
        return redirect("transfer_pages:transfer", pk=existing.pk)
    form = forms.MarkLeftForm(
        request.POST or None,
        school=request.school,
        initial={"left_on": child.left_on or timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        started = services.mark_left(
            actor=request.user,
            student=child,
            left_on=form.cleaned_data["left_on"],
            destination=form.cleaned_data["destination"],
            details=form.details(),
            request=request,
        )
        if started is None:
            notices.success(request, "Marked as left. There is no child protection file to send.")
            return redirect("case_pages:student", pk=child.pk)
        notices.success(request, _started_notice(started))
        return redirect("transfer_pages:transfer", pk=started.pk)
    return _form_page(
        request,
        None,
        form,
        student=child,
        title="Mark as left",
        button="Mark as left",
        template="transfer_pages/mark_left.html",
    )


def _started_notice(item: Transfer) -> str:
    due = f"{item.due_on:%A} {item.due_on.day} {item.due_on:%B %Y}"
    if item.state == State.INFORM:
        return f"Marked as left. Tell the local authority by {due}: the file stays here."
    if item.state == State.NEEDS_DESTINATION:
        return f"Marked as left. Record where the child has gone: the file is due by {due}."
    return f"Marked as left. The child protection file is due at the new school by {due}."


@requires("keep_case_file")
def destination(request, pk):
    """Record (or change) where the child has gone, until the file is sent."""
    item = _transfer(request, pk)
    if item.state not in services.CHANGEABLE_STATES:
        return redirect("transfer_pages:transfer", pk=item.pk)
    initial = {
        "destination": item.destination if item.destination != Destination.UNKNOWN else "",
        "destination_name": item.destination_name,
        "destination_urn": item.destination_urn,
        "destination_email": item.destination_email,
        "destination_school": item.destination_school_id,
        "destination_address": item.destination_address,
    }
    form = forms.DestinationForm(request.POST or None, school=request.school, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.set_destination(
            transfer=item,
            destination=form.cleaned_data["destination"],
            details=form.details(),
            actor=request.user,
            request=request,
        )
        notices.success(request, "Where the child has gone is recorded.")
        return redirect("transfer_pages:transfer", pk=item.pk)
    return _form_page(request, item, form, title="Where has the child gone?", button="Save")


@requires("keep_case_file")
@require_POST
def prepare(request, pk):
    """Makes the file to send: the whole-file PDF (and the ZIP of its attached files), with the
    transfer's cover note and receipt slip, as a task. Refused before the child has left."""
    item = _transfer(request, pk)
    try:
        sending.prepare_file(actor=request.user, transfer=item, request=request)
    except (services.NotLeft, services.NotOpen) as refusal:
        messages.error(request, str(refusal))
    return redirect("transfer_pages:transfer", pk=item.pk)


@requires("keep_case_file")
def send_paper(request, pk):
    """On paper: GET downloads the PDF to print (with its receipt slip, audited); POST records
    that it was sent and how."""
    item = _transfer(request, pk)
    if request.method != "POST":
        return _download_to_print(request, item)
    form = forms.SentOnPaperForm(request.POST)
    if not form.is_valid():
        notices.info(request, "Choose how the file was sent.")
        return redirect("transfer_pages:transfer", pk=item.pk)
    export = item.export
    try:
        services.record_sent(
            transfer=item,
            actor=request.user,
            route=Route.PAPER,
            how=form.cleaned_data["how"],
            export=export,
            package_sha256=export.sha256 if export else "",
            request=request,
        )
    except (services.NotLeft, services.NotOpen) as refusal:
        messages.error(request, str(refusal))
    else:
        notices.success(
            request, "Recorded as sent on paper. Record the signed slip when it comes back."
        )
    return redirect("transfer_pages:transfer", pk=item.pk)


def _download_to_print(request, item: Transfer):
    export = item.export
    if export is None or export.state != ExportState.DONE or not export.stored_name:
        raise Http404("The file is not ready")
    pieces = sending.open_to_print(actor=request.user, transfer=item, request=request)
    response = StreamingHttpResponse(pieces, content_type="application/pdf")
    response["Content-Length"] = str(export.size)
    day = export.created_at.date().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="child-protection-file-{item.reference}-{day}.pdf"'
    )
    return response


@requires("keep_case_file")
@require_POST
def paper_receipt(request, pk):
    """The signed receipt slip has come back: the sender records who signed it and when."""
    item = _transfer(request, pk)
    form = forms.PaperReceiptForm(request.POST)
    if item.state != State.SENT or item.route != Route.PAPER:
        return redirect("transfer_pages:transfer", pk=item.pk)
    if not form.is_valid():
        return _form_page(
            request, item, form, title="Record the signed receipt slip", button="Record receipt"
        )
    signed_on = form.cleaned_data["signed_on"]
    services.record_receipt(
        transfer=item,
        name=form.cleaned_data["name"],
        role=form.cleaned_data["role"],
        how=f"Signed receipt slip, recorded by {request.user.full_name}",
        at=timezone.make_aware(datetime.datetime.combine(signed_on, datetime.time(12))),
        recorded_by=request.user,
        request=request,
    )
    notices.success(request, "Receipt recorded.")
    return redirect("transfer_pages:transfer", pk=item.pk)


@requires("keep_case_file")
@require_POST
def informed(request, pk):
    """A leaver with no destination: the local authority (and any social worker) told."""
    item = _transfer(request, pk)
    form = forms.InformedForm(request.POST)
    if not form.is_valid() or item.state != State.INFORM:
        if item.state != State.INFORM:
            return redirect("transfer_pages:transfer", pk=item.pk)
        return _form_page(
            request, item, form, title="Record that the local authority was told", button="Record"
        )
    services.record_informed(
        transfer=item,
        actor=request.user,
        informed_on=form.cleaned_data["informed_on"],
        whom=form.cleaned_data["whom"],
        request=request,
    )
    notices.success(request, "Recorded. The file stays here.")
    return redirect("transfer_pages:transfer", pk=item.pk)


@requires("keep_case_file")
@require_POST
def cancel(request, pk):
    """No file to send after all (the child did not leave): the transfer ends, with the reason."""
    item = _transfer(request, pk)
    form = forms.CancelForm(request.POST)
    if not form.is_valid():
        return _form_page(
            request, item, form, title="Cancel this transfer", button="Cancel transfer"
        )
    try:
        services.cancel(
            transfer=item, actor=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except services.NotOpen as refusal:
        messages.error(request, str(refusal))
    else:
        notices.success(request, "Transfer cancelled.")
    return redirect("transfer_pages:transfer", pk=item.pk)


@requires("keep_case_file")
@require_POST
def copy_done(request, pk):
    """After receipt: the DSL records what was done with this school's own copy under the
    school's policy (paper copies shredded, the Kestrel file kept for the set time, ...)."""
    item = _transfer(request, pk)
    form = forms.CopyForm(request.POST)
    if not form.is_valid():
        return _form_page(
            request,
            item,
            form,
            title="Record what was done with this school's copy",
            button="Record",
        )
    try:
        services.record_copy(
            transfer=item,
            actor=request.user,
            done_on=form.cleaned_data["done_on"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except services.NotOpen as refusal:
        messages.error(request, str(refusal))
    else:
        notices.success(request, "Recorded what was done with this school's copy.")
    return redirect("transfer_pages:transfer", pk=item.pk)
