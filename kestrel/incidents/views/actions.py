"""Add Action, below an incident."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.doors import get_incident_for_user
from kestrel.access.refusals import record_refused_choices
from kestrel.audit.services import record
from kestrel.incidents import services
from kestrel.incidents.forms import AddActionForm
from kestrel.incidents.views.form_parts import (
    files_context,
    read_agencies_once,
    refused,
    staff_chooser,
)
from kestrel.students.names import display_label, names_hidden, text_as_shown


@requires("signed_in")
def add_action(request, pk):
    """The guide's Add Action, below an incident the user may see."""
    # Saving needs the incident alone; the page shows its linked students and corrections too.
    shown_on_page = ("links", "corrections")
    shown = () if request.method == "POST" else shown_on_page
    incident = get_incident_for_user(request, pk, "add_action", relations=shown)
    now = timezone.localtime()
    form = AddActionForm(
        request.POST or None,
        school=request.school,
        student=incident.student,
        hide_names=names_hidden(request),
        initial={
            "occurred_on": now.date(),
            "occurred_time": now.strftime("%H:%M"),
            "submission": uuid.uuid4().hex,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_action(
                actor=request.user,
                request=request,
                incident=incident,
                text=data["text"],
                occurred_at=data["occurred_at"],
                agencies=data["agencies"],
                add_to_linked_students=data["add_to_linked_students"],
                share_documents=data["share_documents"],
                alert_recipients=form.recipients(),
                submission_key=f"{request.user.pk}:{data['submission']}",
                file_ids=request.POST.getlist("files"),
            )
        except ValidationError as error:
            refused(form, error)
        else:
            notices.success(request, "Your action has been added.")
            return redirect("incidents:view", pk=incident.pk)
    if request.method == "POST":  # refused: the page again, with what it shows
        record_refused_choices(request, form)
        incident = get_incident_for_user(request, pk, "add_action", relations=shown_on_page)
    with transaction.atomic():
        record(
            action="incident.viewed",
            request=request,
            obj=incident,
            student=incident.student,
            detail={"page": "add_action"},
        )
    hidden = names_hidden(request)
    about = [incident.student, *(link.student for link in incident.links.all())]
    shown = text_as_shown(request, about)
    text, occurred_at = services.current_version(incident)
    # Everyone alerted to the incident, and whoever recorded it: they need to know what was done.
    alerted = [
        alert.recipient
        for alert in incident.alerts.filter(action__isnull=True, recipient__is_active=True)
        .select_related("recipient__access_level")
        .order_by("created_at", "pk")
    ]
    recipients = [user.pk for user in alerted] + [incident.reporter_id]
    read_agencies_once(form)
    return render(
        request,
        "incidents/add_action.html",
        {
            "form": form,
            "incident": incident,
            "label": display_label(incident.student, hidden=hidden),
            "text": shown(text),
            "occurred_at": occurred_at,
            "incident_recipients": recipients,
            **files_context(request),
            "chooser": {
                **staff_chooser(request, form, known=[*alerted, incident.reporter]),
                "incident": incident.pk,
                "incidentRecipients": recipients,
            },
        },
    )
